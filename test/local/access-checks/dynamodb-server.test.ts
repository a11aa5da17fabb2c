import { Agent, request } from 'node:http';
import { crc32 } from 'node:zlib';
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb.ts';
import { deniedMessage, type RecordingCheck, recordingCheck, rejectionOf } from './recording-check.ts';

/**
 * The local DynamoDB (dynalite) behind an access check: refusals answered as DynamoDB does, everything
 * else handed to dynalite unchanged (its body, CRC32 header and keep-alive as without the check).
 */
const TABLE = 'recert-access';
const TABLE_ARN = `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:table/${TABLE}`;
let db: LocalDynamoDb;
let access: RecordingCheck;
let client: DynamoDBClient;

beforeEach(async () => {
  access = recordingCheck();
  db = new LocalDynamoDb({ accessCheck: access.check });
  await db.start();
  await db.ensureTable({ tableName: TABLE, partitionKey: { name: 'pk', type: 'S' } });
  client = new DynamoDBClient({
    endpoint: db.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  access.calls.length = 0;
});

afterEach(async () => {
  client.destroy();
  await db.close();
});

const getItem = (pk: string) => new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk } } });

/** A raw POST to the server on `agent`, with the headers dynalite wants of a signed request. */
function post(agent: Agent, target: string, body: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; text: string; reused: boolean }>(
    (resolve, reject) => {
      const req = request(
        `${db.endpoint}/`,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': target,
            'x-amz-date': '20260101T000000Z',
            authorization:
              'AWS4-HMAC-SHA256 Credential=recert-local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
              reused: req.reusedSocket,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    },
  );
}

describe('the local DynamoDB with an access check', () => {
  it('answers a refused GetItem as DynamoDB does, with the key it was asked about', async () => {
    // Prepare
    const failure = {
      code: 'AccessDeniedException',
      status: 400,
      message: deniedMessage('dynamodb:GetItem', TABLE_ARN),
    };
    access.refuse('GetItem', failure);

    // Act
    const error = await rejectionOf(client.send(getItem('device-1')));

    // Assess
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe(failure.message);
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(400);
    const [call] = access.callsFor('GetItem');
    expect(call?.input).toEqual({ TableName: TABLE, Key: { pk: { S: 'device-1' } } });
    expect(call?.request).toMatchObject({ method: 'POST', rawPath: '/', rawQuery: '' });
    expect(call?.request.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(JSON.parse(call?.request.body.toString('utf8') ?? '')).toEqual(call?.input);
  });

  it('writes nothing for a refused PutItem, and serves the operations it does not refuse', async () => {
    // Prepare
    access.refuse('PutItem', { code: 'AccessDeniedException', status: 400, message: 'no PutItem' });

    // Act
    const error = await rejectionOf(
      client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'device-1' } } })),
    );
    const read = await client.send(getItem('device-1'));

    // Assess
    expect(error.name).toBe('AccessDeniedException');
    expect(read.Item).toBeUndefined();
    expect(access.calls.map((call) => call.operation)).toEqual(['PutItem', 'GetItem']);
    expect(db.requestCounts().get('PutItem')).toBe(1);
    expect(db.requestCounts().get('GetItem')).toBe(1);
  });

  it('hands dynalite the request unchanged: a large item round-trips, and dynalite errors stay its own', async () => {
    // Prepare
    const big = 'x'.repeat(300 * 1024);

    // Act
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'big' }, blob: { S: big } } }));
    const read = await client.send(getItem('big'));
    const missing = await rejectionOf(
      client.send(new GetItemCommand({ TableName: 'no-such-table', Key: { pk: { S: 'a' } } })),
    );

    // Assess
    expect(read.Item?.blob?.S).toBe(big);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });

  it('answers an authentication failure with a lower-case message, as DynamoDB does, and the SDK reads it', async () => {
    // Prepare
    const failure = access.refuseUnknownKey('GetItem', 'UnrecognizedClientException', 400);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });

    // Act
    const raw = await post(agent, 'DynamoDB_20120810.GetItem', JSON.stringify({ TableName: TABLE, Key: {} }));
    const error = await rejectionOf(client.send(getItem('a')));
    agent.destroy();

    // Assess
    expect(JSON.parse(raw.text)).toEqual({
      __type: 'com.amazon.coral.service#UnrecognizedClientException',
      message: failure.message,
    });
    expect(error.name).toBe('UnrecognizedClientException');
    expect(error.message).toBe(failure.message);
  });

  it('keeps the connection alive and the CRC32 header right through refusals and forwarded requests', async () => {
    // Prepare
    access.refuse('GetItem', { code: 'AccessDeniedException', status: 400, message: 'no GetItem' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const describe = JSON.stringify({ TableName: TABLE });

    // Act
    const refused = await post(
      agent,
      'DynamoDB_20120810.GetItem',
      JSON.stringify({ TableName: TABLE, Key: {} }),
    );
    const served = await post(agent, 'DynamoDB_20120810.DescribeTable', describe);
    const refusedAgain = await post(agent, 'DynamoDB_20120810.GetItem', '{"TableName":"x"}');
    agent.destroy();

    // Assess
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toEqual({
      __type: 'com.amazon.coral.service#AccessDeniedException',
      Message: 'no GetItem',
    });
    expect(served.status).toBe(200);
    expect(JSON.parse(served.text).Table.TableName).toBe(TABLE);
    for (const reply of [refused, served, refusedAgain]) {
      expect(reply.headers['x-amz-crc32']).toBe(String(crc32(reply.text)));
      expect(reply.headers['x-amzn-requestid']).toMatch(/^[A-Z0-9]{52}$/);
    }
    expect([served.reused, refusedAgain.reused]).toEqual([true, true]);
  });

  it('refuses a body over the 16 MiB limit with 413, as dynalite does, without asking, and keeps serving', async () => {
    // Prepare
    const agent = new Agent();
    const huge = `{"TableName":"${TABLE}","pad":"${'x'.repeat(16 * 1024 * 1024)}"}`;

    // Act
    const tooLarge = await post(agent, 'DynamoDB_20120810.GetItem', huge);
    const read = await client.send(getItem('device-1'));
    agent.destroy();

    // Assess
    expect(tooLarge.status).toBe(413);
    expect(read.Item).toBeUndefined();
    expect(access.calls.map((call) => call.operation)).toEqual(['GetItem']);
  });

  it('leaves a body that is not JSON, and a request naming no operation, to dynalite without asking', async () => {
    // Prepare
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });

    // Act
    const notJson = await post(agent, 'DynamoDB_20120810.GetItem', '{not json');
    const noOperation = await post(agent, 'Other.GetItem', '{}');
    agent.destroy();

    // Assess
    expect(JSON.parse(notJson.text)).toEqual({ __type: 'com.amazon.coral.service#SerializationException' });
    expect(JSON.parse(noOperation.text)).toEqual({
      __type: 'com.amazon.coral.service#UnknownOperationException',
    });
    expect(access.calls).toEqual([]);
  });
});
