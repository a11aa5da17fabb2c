import { GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fromAttributeMap,
  getDocument,
  putDocument,
  queryDocuments,
  toAttributeMap,
  updateDocument,
} from '../../functions/shared/document-commands.ts';

// What the stores write: strings, safe numbers, booleans, null, lists and maps of them. No attribute is
// named `constructor` or `__proto__` (the converter, like the document client, takes an object with an
// own `constructor` for a class instance).
const name = fc.string({ minLength: 1 }).filter((k) => k !== 'constructor' && k !== '__proto__');
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, min: -1e15, max: 1e15 }).filter((n) => !Object.is(n, -0)),
    fc.boolean(),
    fc.constant(null),
  ),
  node: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(name, tie('node'), { maxKeys: 4 }),
  ),
})).node;
const documentArb = fc.dictionary(name, value, { maxKeys: 6 });

describe('document commands', () => {
  it('a document comes back from its attribute values as it was', () => {
    fc.assert(
      fc.property(documentArb, (document) => {
        // Act / Assess
        expect(fromAttributeMap(toAttributeMap(document))).toEqual(document);
      }),
    );
  });

  it('converts as the document client did (undefined attributes dropped), at any depth', () => {
    fc.assert(
      fc.property(
        documentArb,
        name.filter((k) => k !== 'nested'),
        (document, gap) => {
          // Prepare
          const withGap = { ...document, [gap]: undefined, nested: { ...document, [gap]: undefined } };
          // Act
          const converted = toAttributeMap(withGap);
          // Assess
          expect(converted).toEqual(marshall(withGap, { removeUndefinedValues: true }));
          expect(Object.hasOwn(fromAttributeMap(converted), gap)).toBe(false);
        },
      ),
    );
  });

  it('builds the low-level commands with the key, item, values and start key converted, the input untouched', () => {
    // Prepare
    const update = {
      TableName: 't',
      Key: { thingName: 'thing-1' },
      UpdateExpression: 'SET #p = :p',
      ConditionExpression: 'attribute_exists(thingName)',
      ExpressionAttributeNames: { '#p': 'phase' },
      ExpressionAttributeValues: { ':p': 'ISSUED', ':n': 2, ':l': ['a'] },
      ReturnValues: 'ALL_NEW' as const,
    };
    const frozen = structuredClone(update);
    // Act
    const updateCommand = updateDocument(update);
    const get = getDocument({ TableName: 't', Key: { thingName: 'thing-1' }, ConsistentRead: true });
    const put = putDocument({ TableName: 't', Item: { thingName: 'thing-1', n: 1 } });
    const query = queryDocuments({
      TableName: 't',
      KeyConditionExpression: 'campaignId = :c',
      ExpressionAttributeValues: { ':c': 'c1' },
      ExclusiveStartKey: { campaignId: 'c1', entry: 'Q#1' },
    });
    // Assess
    expect(update).toEqual(frozen);
    expect(updateCommand).toBeInstanceOf(UpdateItemCommand);
    expect(updateCommand.input).toEqual({
      ...update,
      Key: { thingName: { S: 'thing-1' } },
      ExpressionAttributeValues: { ':p': { S: 'ISSUED' }, ':n': { N: '2' }, ':l': { L: [{ S: 'a' }] } },
    });
    expect(get).toBeInstanceOf(GetItemCommand);
    expect(get.input).toEqual({ TableName: 't', Key: { thingName: { S: 'thing-1' } }, ConsistentRead: true });
    expect(put).toBeInstanceOf(PutItemCommand);
    expect(put.input.Item).toEqual({ thingName: { S: 'thing-1' }, n: { N: '1' } });
    expect(query).toBeInstanceOf(QueryCommand);
    expect(query.input.ExpressionAttributeValues).toEqual({ ':c': { S: 'c1' } });
    expect(query.input.ExclusiveStartKey).toEqual({ campaignId: { S: 'c1' }, entry: { S: 'Q#1' } });
  });
});
