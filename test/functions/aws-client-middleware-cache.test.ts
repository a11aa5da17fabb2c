import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbClient } from '../../functions/shared/environment.ts';
import { lambdaClientConfig } from '../../lib/aws/client-config.ts';

/** A loopback server that answers every call with `{}` and keeps the request bodies. */
async function recordingServer(): Promise<{ server: Server; url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let raw = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      raw += chunk;
    });
    request.on('end', () => {
      bodies.push(JSON.parse(raw));
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, bodies };
}

describe('SDK clients resolve each command’s middleware once (cacheMiddleware)', () => {
  let env: Awaited<ReturnType<typeof recordingServer>> | undefined;

  beforeAll(async () => {
    env = await recordingServer();
  });

  afterAll(() => {
    env?.server.close();
  });

  it('is on for the functions’ clients and still sends each call’s own input', async () => {
    // Prepare
    if (!env) throw new Error('no server');
    const sfn = new SFNClient({
      ...lambdaClientConfig(),
      region: 'us-east-1',
      endpoint: env.url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

    // Act: two calls of one command class, the second through the cached handler.
    await sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-1', output: '{"a":1}' }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-2', output: '{"b":2}' }));
    sfn.destroy();

    // Assess
    expect(sfn.config.cacheMiddleware).toBe(true);
    expect(env.bodies).toEqual([
      { taskToken: 'token-1', output: '{"a":1}' },
      { taskToken: 'token-2', output: '{"b":2}' },
    ]);
  });

  it("is on for the functions' DynamoDB client too (their stores do not use the document client)", () => {
    // Act
    const db = dynamoDbClient();

    // Assess
    expect(db.config.cacheMiddleware).toBe(true);
    db.destroy();
  });
});
