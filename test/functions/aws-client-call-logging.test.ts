import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoDbClient } from '../../functions/shared/environment.ts';
import { lambdaClientConfig, withoutCallLogging } from '../../lib/aws/client-config.ts';
import { destroyClients, localClients } from '../../local/stack/clients.ts';
import { endpointsAt } from '../local/endpoints-at.ts';
import { type LoopbackAnswer, useLoopbackJsonService } from './loopback-server.ts';

/** A loopback DynamoDB stand-in: thing-1 exists, any other key fails its (pretend) condition. */
const asDynamoDb = (body: string): LoopbackAnswer =>
  body.includes('"thing-1"')
    ? { status: 200, body: { Item: { thingName: { S: 'thing-1' }, phase: { S: 'ISSUED' } } } }
    : {
        status: 400,
        body: {
          __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
          message: 'The conditional request failed',
        },
      };

const withoutComments = (source: string): string =>
  source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

const hasLoggerMiddleware = (client: { middlewareStack: { identify(): string[] } }): boolean =>
  client.middlewareStack.identify().some((entry) => entry.startsWith('loggerMiddleware'));

describe('the functions’ SDK clients do not copy every call for a logger that drops it', () => {
  const fake = useLoopbackJsonService(asDynamoDb);

  it('still returns results and named service errors without the logger middleware', async () => {
    // Prepare
    const db = withoutCallLogging(
      new DynamoDBClient({
        ...lambdaClientConfig(),
        region: 'us-east-1',
        endpoint: fake.url,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
    // Act
    const found = await db.send(new GetItemCommand({ TableName: 't', Key: { thingName: { S: 'thing-1' } } }));
    const refused = db.send(new GetItemCommand({ TableName: 't', Key: { thingName: { S: 'thing-2' } } }));
    // Assess
    expect(hasLoggerMiddleware(db)).toBe(false);
    expect(found.Item).toEqual({ thingName: { S: 'thing-1' }, phase: { S: 'ISSUED' } });
    await expect(refused).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
    });
    db.destroy();
  });

  it('holds for the DynamoDB client of every function and the local stack’s clients', () => {
    // Prepare
    const plainSdk = new DynamoDBClient({ region: 'us-east-1' });
    const db = dynamoDbClient();
    const local = localClients(endpointsAt('http://127.0.0.1:1'), 'us-east-1');
    // Act / Assess: the SDK adds it by default, so its absence is recert's doing.
    expect(hasLoggerMiddleware(plainSdk)).toBe(true);
    expect(hasLoggerMiddleware(db)).toBe(false);
    for (const client of [local.dynamodb, local.iot, local.iotData, local.sfn, local.sns]) {
      expect(hasLoggerMiddleware(client)).toBe(false);
    }
    plainSdk.destroy();
    db.destroy();
    destroyClients(local);
  });

  it('every SDK client a function builds is built without call logging', () => {
    // Prepare: the functions build their clients from the environment (shared/lambda-clients.ts).
    const root = new URL('../../functions/', import.meta.url).pathname;
    const sources = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => ({ file, text: withoutComments(readFileSync(join(root, file), 'utf8')) }));
    // Act
    const built = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/(withoutCallLogging\(\s*)?new (\w+Client)\(/g)].map((m) => ({
        file,
        client: m[2],
        quiet: m[1] !== undefined,
      })),
    );
    // Assess
    expect(new Set(built.map((b) => b.client))).toEqual(
      new Set([
        'ACMPCAClient',
        'DynamoDBClient',
        'IoTClient',
        'IoTDataPlaneClient',
        'SFNClient',
        'SNSClient',
      ]),
    );
    expect(built.filter((b) => !b.quiet)).toEqual([]);
  });
});
