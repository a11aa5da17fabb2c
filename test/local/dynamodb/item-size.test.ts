import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb.ts';

/** DynamoDB's item size limit: 400 KB, DynamoDB's KB being 1,024 bytes. */
const LIMIT = 400 * 1024;
const TABLE = 'item-size';

/**
 * An item's size as DynamoDB's developer guide ("Item sizes and formats") defines it: the UTF-8
 * bytes of every attribute name plus its value's size; a string counts its UTF-8 bytes, a binary its
 * raw bytes, a Boolean or null 1 byte; a list or map 3 bytes plus 1 byte per element plus the
 * elements (a map's with their names). Numbers, whose size the guide gives only approximately, are
 * left out of these items.
 */
function awsItemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + valueSize(v), 0);
  if (value.M !== undefined) return 3 + Object.keys(value.M).length + awsItemSize(value.M);
  throw new Error('a type these tests do not size');
}

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * `base` with a string attribute `fill` of `unit` characters (then ASCII for what is left) so that the
 * whole item is `size` bytes.
 */
function itemOfSize(
  size: number,
  base: Record<string, AttributeValue>,
  unit = 'x',
): Record<string, AttributeValue> {
  const room = size - awsItemSize({ ...base, fill: { S: '' } });
  if (room < 0) throw new Error(`the base item is larger than ${size} bytes`);
  const units = Math.floor(room / utf8(unit));
  const item = { ...base, fill: { S: unit.repeat(units) + 'x'.repeat(room - units * utf8(unit)) } };
  expect(awsItemSize(item)).toBe(size);
  return item;
}

let local: LocalDynamoDb;
let client: DynamoDBClient;

beforeAll(async () => {
  local = new LocalDynamoDb();
  await local.start();
  await local.ensureTable({ tableName: TABLE, partitionKey: { name: 'pk', type: 'S' } });
  client = local.client();
});
afterAll(async () => {
  client?.destroy();
  await local?.close();
});

const put = (Item: Record<string, AttributeValue>) =>
  client.send(new PutItemCommand({ TableName: TABLE, Item })).catch((error: unknown) => error);

const TOO_LARGE = {
  name: 'ValidationException',
  message: 'Item size has exceeded the maximum allowed size',
  $metadata: { httpStatusCode: 400 },
};

describe('local DynamoDB: the 400 KB item size limit, sized as DynamoDB sizes items', () => {
  it('PutItem takes an item of exactly 400 KB and refuses one byte more with ValidationException', async () => {
    // Prepare
    const atLimit = itemOfSize(LIMIT, { pk: { S: 'ascii-at-limit' } });
    const overLimit = itemOfSize(LIMIT + 1, { pk: { S: 'ascii-over-limit' } });

    // Act
    const accepted = await put(atLimit);
    const refused = await put(overLimit);

    // Assess
    expect(accepted).toMatchObject({ $metadata: { httpStatusCode: 200 } });
    expect(refused).toMatchObject(TOO_LARGE);
  });

  it('counts strings and attribute names in UTF-8 bytes, not characters', async () => {
    // Prepare: 'é' is 2 bytes and '€' 3 in UTF-8, but each one character in JavaScript.
    const atLimit = itemOfSize(LIMIT, { pk: { S: 'utf8-at-limit' }, prénom: { S: '€' } }, 'é');
    const overLimit = itemOfSize(LIMIT + 1, { pk: { S: 'utf8-over-limit' }, prénom: { S: '€€' } }, 'é');

    // Act
    const accepted = await put(atLimit);
    const refused = await put(overLimit);

    // Assess: the over-limit item is only about 200,000 characters long.
    expect((overLimit.fill?.S ?? '').length).toBeLessThan(LIMIT / 2 + 1);
    expect(accepted).toMatchObject({ $metadata: { httpStatusCode: 200 } });
    expect(refused).toMatchObject(TOO_LARGE);
  });

  it('counts binary values in raw bytes and the overhead of lists, maps and their elements', async () => {
    // Prepare
    const nested = (pk: string): Record<string, AttributeValue> => ({
      pk: { S: pk },
      blob: { B: new Uint8Array(1000) },
      flags: { L: [{ BOOL: true }, { NULL: true }, { S: 'ü' }, { M: { schlüssel: { S: 'wert' } } }] },
      names: { SS: ['a', 'ß'] },
    });
    const atLimit = itemOfSize(LIMIT, nested('nested-at-limit'));
    const overLimit = itemOfSize(LIMIT + 1, nested('nested-over-limit'));

    // Act
    const accepted = await put(atLimit);
    const refused = await put(overLimit);

    // Assess
    expect(accepted).toMatchObject({ $metadata: { httpStatusCode: 200 } });
    expect(refused).toMatchObject(TOO_LARGE);
  });

  it('UpdateItem refuses an update that would take the item over 400 KB, and leaves the item as it was', async () => {
    // Prepare: an item 3 bytes under the limit; attribute `n` with a 1-byte string adds 2 bytes.
    const item = itemOfSize(LIMIT - 3, { pk: { S: 'update' } }, 'é');
    await put(item);
    const set = (value: string) =>
      client
        .send(
          new UpdateItemCommand({
            TableName: TABLE,
            Key: { pk: { S: 'update' } },
            UpdateExpression: 'SET #n = :v',
            ExpressionAttributeNames: { '#n': 'n' },
            ExpressionAttributeValues: { ':v': { S: value } },
          }),
        )
        .catch((error: unknown) => error);

    const stored = async () =>
      (
        await client.send(
          new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'update' } }, ConsistentRead: true }),
        )
      ).Item;

    // Act
    const over = await set('éé');
    const afterOver = await stored();
    const at = await set('é');

    // Assess: 'n' + 'éé' is 5 bytes (one over); 'n' + 'é' is 3 (exactly at the limit).
    expect(over).toMatchObject({
      name: 'ValidationException',
      message: 'Item size to update has exceeded the maximum allowed size',
    });
    expect(afterOver).toEqual(item);
    expect(at).toMatchObject({ $metadata: { httpStatusCode: 200 } });
    expect((await stored())?.n).toEqual({ S: 'é' });
  });

  it('BatchWriteItem refuses a batch with an item over 400 KB', async () => {
    // Act
    const refused = await client
      .send(
        new BatchWriteItemCommand({
          RequestItems: {
            [TABLE]: [
              { PutRequest: { Item: { pk: { S: 'small' } } } },
              { PutRequest: { Item: itemOfSize(LIMIT + 1, { pk: { S: 'batch-over' } }, '€') } },
            ],
          },
        }),
      )
      .catch((error: unknown) => error);
    const small = await client.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'small' } }, ConsistentRead: true }),
    );

    // Assess
    expect(refused).toMatchObject(TOO_LARGE);
    expect(small.Item).toBeUndefined();
  });
});
