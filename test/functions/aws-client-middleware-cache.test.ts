import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { dynamoDbClient } from '../../functions/shared/environment.ts';
import { lambdaClientConfig } from '../../lib/aws/client-config.ts';
import { useLoopbackJsonService } from './loopback-server.ts';

describe('SDK clients resolve each command’s middleware once (cacheMiddleware)', () => {
  // A loopback server that answers every call with `{}` and keeps the request bodies.
  const bodies: unknown[] = [];
  const env = useLoopbackJsonService((body) => {
    bodies.push(JSON.parse(body));
    return { status: 200, body: {} };
  });

  it('is on for the functions’ clients and still sends each call’s own input', async () => {
    // Prepare
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
    expect(bodies).toEqual([
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
