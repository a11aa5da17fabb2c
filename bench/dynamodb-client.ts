/**
 * Client CPU of one rotation-record UpdateItem by how the call is built (bench/README.md, Micro-benchmarks).
 * `npx tsx bench/dynamodb-client.ts [--rounds 9] [--calls 1000]`
 */
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { documentOf, updateDocument } from '../functions/shared/document-commands.ts';
import { lambdaClientConfig, withoutCallLogging } from '../lib/aws/client-config.ts';
import { LOCAL_CREDENTIALS } from '../local/config.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    calls: { type: 'string', default: '1000' },
    serve: { type: 'boolean', default: false },
  },
});
const rounds = z.coerce.number().int().min(1).max(100).parse(values.rounds);
const calls = z.coerce.number().int().min(10).max(100_000).parse(values.calls);
const TABLE = 'bench-rotations';

if (values.serve) {
  // The child: a local DynamoDB with the table, its URL sent to the parent.
  const { LocalDynamoDb } = await import('../local/dynamodb/local-dynamodb.ts');
  const db = new LocalDynamoDb();
  const url = await db.start();
  await db.ensureTable({ tableName: TABLE, partitionKey: { name: 'thingName', type: 'S' } });
  process.send?.({ url });
  process.on('disconnect', () => void db.close().then(() => process.exit(0)));
} else {
  const server = fork(new URL(import.meta.url).pathname, ['--serve'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    server.once('message', (m: unknown) => resolve(z.object({ url: z.string() }).parse(m).url));
    server.once('exit', (code) => reject(new Error(`the DynamoDB process exited with ${code}`)));
  });
  const config = {
    ...lambdaClientConfig(),
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    endpoint: url,
  };
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...config, cacheMiddleware: false }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const plain = new DynamoDBClient(config);
  const quiet = withoutCallLogging(new DynamoDBClient(config));

  // About what the rotation record's writes carry: a certificate PEM, a task token, names and times.
  const pem = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(1100)}\n-----END CERTIFICATE-----\n`;
  const input = (i: number) => ({
    TableName: TABLE,
    Key: { thingName: `thing-${i % 200}` },
    UpdateExpression: 'SET #phase = :phase, newCertificatePem = :pem, taskToken = :token, updatedAt = :now',
    ConditionExpression: 'attribute_not_exists(executionArn) OR executionArn = :exec',
    ExpressionAttributeNames: { '#phase': 'phase' },
    ExpressionAttributeValues: {
      ':phase': 'AWAITING_ACK',
      ':pem': pem,
      ':token': `token-${'t'.repeat(600)}-${i}`,
      ':now': new Date(1_800_000_000_000 + i).toISOString(),
      ':exec': 'arn:aws:states:us-east-1:000000000000:execution:recert-rotate-device:x',
    },
    ReturnValues: 'ALL_NEW' as const,
  });
  const ways: Record<string, (i: number) => Promise<unknown>> = {
    'document client (no middleware cache)': async (i) =>
      (await documents.send(new UpdateCommand(input(i)))).Attributes,
    'plain client, cached middleware': async (i) =>
      documentOf((await plain.send(updateDocument(input(i)))).Attributes),
    '... and no call logging (the functions)': async (i) =>
      documentOf((await quiet.send(updateDocument(input(i)))).Attributes),
  };
  const samples = new Map<string, number[]>(Object.keys(ways).map((k) => [k, []]));
  const round = async (call: (i: number) => Promise<unknown>): Promise<number> => {
    const before = process.cpuUsage();
    await Promise.all(
      Array.from({ length: 10 }, async (_, lane) => {
        for (let i = lane; i < calls; i += 10) await call(i);
      }),
    );
    const used = process.cpuUsage(before);
    return (used.user + used.system) / calls;
  };
  for (const call of Object.values(ways)) await round(call); // warm both
  for (let r = 0; r < rounds; r++) {
    for (const [name, call] of Object.entries(ways)) samples.get(name)?.push(await round(call));
  }
  console.log(`DynamoDB UpdateItem, client-side CPU per call (median of ${rounds} rounds of ${calls}):`);
  const medians = [...samples].map(([name, s]) => [name, median(s)] as const);
  const first = medians[0]?.[1];
  for (const [name, m] of medians) {
    const less = first === undefined || m === first ? '' : `  (${((1 - m / first) * 100).toFixed(0)}% less)`;
    console.log(`  ${name.padEnd(42)} ${m.toFixed(0)} µs${less}`);
  }
  documents.destroy();
  plain.destroy();
  quiet.destroy();
  server.disconnect();
}
