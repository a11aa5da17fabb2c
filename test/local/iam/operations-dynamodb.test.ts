/** Hand-worked DynamoDB authorizations and the KeyConditionExpression partition value, as a property. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DynamoDbScope,
  OperationInputError,
  partitionValueOfKeyCondition,
  requiredPermissions,
} from '../../../local/iam/operations/index.ts';

const KEYS: Readonly<Record<string, string>> = { 'recert-rotation': 'pk', 'recert-campaign': 'campaignId' };
const INDEX_KEYS: Readonly<Record<string, string>> = { 'by-status': 'status' };
const SCOPE: DynamoDbScope = {
  partition: 'aws',
  region: 'eu-west-1',
  accountId: '123456789012',
  partitionKeyOf: (table, index) => (index === undefined ? KEYS[table] : INDEX_KEYS[index]),
};
const TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/recert-rotation';
const CAMPAIGN_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/recert-campaign';

describe('DynamoDB operations', () => {
  it('GetItem is on the table with the key partition value as LeadingKeys', () => {
    // Act
    const requests = requiredPermissions(
      'dynamodb',
      'DynamoDB_20120810.GetItem',
      { TableName: 'recert-rotation', Key: { pk: { S: 'DEVICE#dev-1' }, sk: { S: 'META' } } },
      SCOPE,
    );
    // Assess
    expect(requests).toEqual([
      {
        action: 'dynamodb:GetItem',
        resource: TABLE_ARN,
        context: { 'dynamodb:LeadingKeys': ['DEVICE#dev-1'] },
      },
    ]);
  });

  it('Query on an index is on the index, with the value the key condition gives its partition key', () => {
    // Prepare
    const input = {
      TableName: 'recert-rotation',
      IndexName: 'by-status',
      KeyConditionExpression: '#s = :s AND begins_with(#u, :day)',
      ExpressionAttributeNames: { '#s': 'status', '#u': 'updatedAt' },
      ExpressionAttributeValues: { ':s': { S: 'PARKED' }, ':day': { S: '2026-09-26' } },
    };
    // Act
    const requests = requiredPermissions('dynamodb', 'Query', input, SCOPE);
    // Assess
    expect(requests).toEqual([
      {
        action: 'dynamodb:Query',
        resource: `${TABLE_ARN}/index/by-status`,
        context: { 'dynamodb:LeadingKeys': ['PARKED'] },
      },
    ]);
  });

  it('Query with the legacy KeyConditions reads the EQ value; a number key is its string', () => {
    // Act
    const requests = requiredPermissions(
      'dynamodb',
      'Query',
      {
        TableName: 'recert-campaign',
        KeyConditions: { campaignId: { ComparisonOperator: 'EQ', AttributeValueList: [{ N: '42' }] } },
      },
      SCOPE,
    );
    // Assess
    expect(requests[0]?.context).toEqual({ 'dynamodb:LeadingKeys': ['42'] });
  });

  it('BatchWriteItem over two tables is one dynamodb:BatchWriteItem per table with its partition values', () => {
    // Prepare
    const input = {
      RequestItems: {
        'recert-rotation': [
          { PutRequest: { Item: { pk: { S: 'DEVICE#a' }, sk: { S: 'META' } } } },
          { DeleteRequest: { Key: { pk: { S: 'DEVICE#b' }, sk: { S: 'META' } } } },
          { PutRequest: { Item: { pk: { S: 'DEVICE#a' }, sk: { S: 'R#2' } } } },
        ],
        'recert-campaign': [{ PutRequest: { Item: { campaignId: { S: 'RETIRED' } } } }],
      },
    };
    // Act
    const requests = requiredPermissions('dynamodb', 'BatchWriteItem', input, SCOPE);
    // Assess
    expect(requests).toEqual([
      {
        action: 'dynamodb:BatchWriteItem',
        resource: TABLE_ARN,
        context: { 'dynamodb:LeadingKeys': ['DEVICE#a', 'DEVICE#b'] },
      },
      {
        action: 'dynamodb:BatchWriteItem',
        resource: CAMPAIGN_ARN,
        context: { 'dynamodb:LeadingKeys': ['RETIRED'] },
      },
    ]);
  });

  it('TransactWriteItems authorizes each item as its own action, enclosed by the transaction', () => {
    // Prepare
    const input = {
      TransactItems: [
        { Put: { TableName: 'recert-campaign', Item: { campaignId: { S: 'c1' } } } },
        { ConditionCheck: { TableName: 'recert-rotation', Key: { pk: { S: 'DEVICE#a' } } } },
      ],
    };
    // Act
    const requests = requiredPermissions('dynamodb', 'TransactWriteItems', input, SCOPE);
    // Assess
    expect(requests).toEqual([
      {
        action: 'dynamodb:PutItem',
        resource: CAMPAIGN_ARN,
        context: { 'dynamodb:LeadingKeys': ['c1'], 'dynamodb:EnclosingOperation': 'TransactWriteItems' },
      },
      {
        action: 'dynamodb:ConditionCheckItem',
        resource: TABLE_ARN,
        context: { 'dynamodb:LeadingKeys': ['DEVICE#a'] },
      },
    ]);
  });

  it('a table of unknown key schema, or a Scan, has no LeadingKeys; a call without a table is invalid', () => {
    // Act
    const unknown = requiredPermissions(
      'dynamodb',
      'PutItem',
      { TableName: 'other', Item: { id: { S: 'x' } } },
      SCOPE,
    );
    const scan = requiredPermissions('dynamodb', 'Scan', { TableName: 'recert-rotation' }, SCOPE);
    // Assess
    expect(unknown[0]?.context).toEqual({});
    expect(scan).toEqual([{ action: 'dynamodb:Scan', resource: TABLE_ARN, context: {} }]);
    expect(() => requiredPermissions('dynamodb', 'GetItem', {}, SCOPE)).toThrow(OperationInputError);
  });
});

describe('the partition value of a KeyConditionExpression', () => {
  const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,11}$/).filter((n) => n.toUpperCase() !== 'AND');
  const placeholder = fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/);
  const space = fc.stringMatching(/^[ \t\n]{0,3}$/);
  const value = fc.oneof(
    fc.string().map((s) => ({ S: s })),
    fc.integer().map((n) => ({ N: String(n) })),
  );

  it('is the value bound to the partition key, however the expression is written', () => {
    fc.assert(
      fc.property(
        fc.record({
          pk: name,
          sk: name,
          pkAlias: fc.option(placeholder, { nil: undefined }),
          skAlias: fc.option(placeholder, { nil: undefined }),
          pkValue: value,
          skValue: value,
          valueSide: fc.boolean(),
          sortCondition: fc.constantFrom('none', 'eq', 'lt', 'between', 'begins_with'),
          sortFirst: fc.boolean(),
          parens: fc.boolean(),
          gaps: fc.array(space, { minLength: 8, maxLength: 8 }),
        }),
        (c) => {
          fc.pre(c.pk !== c.sk);
          // Prepare: names through #placeholders or bare; values through :placeholders.
          const [g0, g1, g2, g3, g4, g5, g6, g7] = c.gaps;
          const names: Record<string, string> = {};
          const pkRef = c.pkAlias === undefined ? c.pk : `#p${c.pkAlias}`;
          const skRef = c.skAlias === undefined ? c.sk : `#s${c.skAlias}`;
          if (c.pkAlias !== undefined) names[pkRef] = c.pk;
          if (c.skAlias !== undefined) names[skRef] = c.sk;
          const values = { ':pv': c.pkValue, ':sv': c.skValue, ':sw': c.skValue };
          const pkCondition = c.valueSide ? `:pv${g0}=${g1}${pkRef}` : `${pkRef}${g0}=${g1}:pv`;
          const sortConditions: Record<string, string> = {
            none: '',
            eq: `${skRef}${g2}=${g3}:sv`,
            lt: `${skRef}${g2}<${g3}:sv`,
            between: `${skRef} BETWEEN${g2} :sv AND${g3} :sw`,
            begins_with: `begins_with(${g2}${skRef},${g3}:sv)`,
          };
          const sort = sortConditions[c.sortCondition] ?? '';
          const wrap = (s: string) => (c.parens ? `(${g4}${s}${g5})` : s);
          const expression =
            sort === ''
              ? `${g6}${wrap(pkCondition)}${g7}`
              : c.sortFirst
                ? `${g6}${wrap(sort)} AND ${wrap(pkCondition)}${g7}`
                : `${g6}${wrap(pkCondition)} and ${wrap(sort)}${g7}`;
          const expected = 'S' in c.pkValue ? c.pkValue.S : c.pkValue.N;
          // Act
          const found = partitionValueOfKeyCondition(expression, names, values, c.pk);
          // Assess
          expect(found).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is undefined when the partition key is not compared for equality', () => {
    // Act / Assess
    expect(partitionValueOfKeyCondition('pk > :v', {}, { ':v': { S: 'a' } }, 'pk')).toBeUndefined();
    expect(partitionValueOfKeyCondition('sk = :v', {}, { ':v': { S: 'a' } }, 'pk')).toBeUndefined();
    expect(partitionValueOfKeyCondition('#k = :v', {}, { ':v': { S: 'a' } }, 'pk')).toBeUndefined();
    expect(partitionValueOfKeyCondition('pk = :v ;', {}, { ':v': { S: 'a' } }, 'pk')).toBeUndefined();
  });
});
