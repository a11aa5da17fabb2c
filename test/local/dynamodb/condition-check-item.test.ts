import {
  type AttributeValue,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb.ts';

const TABLE = 'condition-check-item';
const STORED: Record<string, AttributeValue> = {
  id: { S: 'thing-1' },
  phase: { S: 'AWAITING_CSR' },
  attempt: { N: '2' },
  tags: { L: [{ S: 'a' }, { M: { k: { BOOL: true } } }] },
};
/** A condition the stored item fails. */
const FAILING = {
  ConditionExpression: '#p = :p',
  ExpressionAttributeNames: { '#p': 'phase' },
  ExpressionAttributeValues: { ':p': { S: 'DONE' } },
};

let local: LocalDynamoDb;
let client: DynamoDBClient;

beforeAll(async () => {
  local = new LocalDynamoDb();
  await local.start();
  client = local.client();
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    }),
  );
});
afterAll(async () => {
  client.destroy();
  await local.close();
});
beforeEach(async () => {
  await client.send(new PutItemCommand({ TableName: TABLE, Item: STORED }));
});

/** The error a write was refused with. */
async function refusal(write: Promise<unknown>): Promise<ConditionalCheckFailedException> {
  const error = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConditionalCheckFailedException)) {
    throw new Error(`expected ConditionalCheckFailedException, got ${String(error)}`);
  }
  return error;
}

const stored = async () =>
  (await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: STORED.id as AttributeValue } })))
    .Item;

describe('local DynamoDB: ReturnValuesOnConditionCheckFailure', () => {
  it.each([
    [
      'UpdateItem',
      () =>
        client.send(
          new UpdateItemCommand({
            TableName: TABLE,
            Key: { id: { S: 'thing-1' } },
            UpdateExpression: 'SET attempt = :three',
            ...FAILING,
            ExpressionAttributeValues: { ...FAILING.ExpressionAttributeValues, ':three': { N: '3' } },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
    ],
    [
      'PutItem',
      () =>
        client.send(
          new PutItemCommand({
            TableName: TABLE,
            Item: { id: { S: 'thing-1' } },
            ...FAILING,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
    ],
    [
      'DeleteItem',
      () =>
        client.send(
          new DeleteItemCommand({
            TableName: TABLE,
            Key: { id: { S: 'thing-1' } },
            ...FAILING,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
    ],
  ])('%s with ALL_OLD: the refusal carries the item as it was, which stays unchanged', async (_op, command) => {
    // Act
    const error = await refusal(command());
    // Assess
    expect(error.name).toBe('ConditionalCheckFailedException');
    expect(error.message).toBe('The conditional request failed');
    expect(error.Item).toEqual(STORED);
    expect(await stored()).toEqual(STORED);
  });

  it('without the parameter, or with NONE, the refusal carries no item', async () => {
    // Act
    const without = await refusal(
      client.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: { id: { S: 'thing-1' } },
          UpdateExpression: 'SET attempt = :p',
          ...FAILING,
        }),
      ),
    );
    const none = await refusal(
      client.send(
        new DeleteItemCommand({
          TableName: TABLE,
          Key: { id: { S: 'thing-1' } },
          ...FAILING,
          ReturnValuesOnConditionCheckFailure: 'NONE',
        }),
      ),
    );
    // Assess
    expect(without.Item).toBeUndefined();
    expect(none.Item).toBeUndefined();
  });

  it('a missing item fails its condition with no item to return', async () => {
    // Act
    const error = await refusal(
      client.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: { id: { S: 'no-such-thing' } },
          UpdateExpression: 'SET attempt = :one',
          ConditionExpression: 'attribute_exists(id)',
          ExpressionAttributeValues: { ':one': { N: '1' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    // Assess
    expect(error.Item).toBeUndefined();
  });

  it('a write whose condition holds answers as without the parameter', async () => {
    // Act
    const out = await client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { id: { S: 'thing-1' } },
        UpdateExpression: 'SET attempt = :three',
        ConditionExpression: '#p = :p',
        ExpressionAttributeNames: { '#p': 'phase' },
        ExpressionAttributeValues: { ':p': { S: 'AWAITING_CSR' }, ':three': { N: '3' } },
        ReturnValues: 'UPDATED_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    // Assess
    expect(out.Attributes).toEqual({ attempt: { N: '3' } });
  });

  it('refuses a value other than ALL_OLD or NONE with the ValidationException DynamoDB gives', async () => {
    // Act
    const error = await client
      .send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { id: { S: 'thing-2' } },
          // @ts-expect-error: a value the SDK's types refuse, sent as a caller without them would
          ReturnValuesOnConditionCheckFailure: 'ALL_NEW',
        }),
      )
      .catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'ALL_NEW' at 'returnValuesOnConditionCheckFailure' " +
        'failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]',
    });
  });
});
