import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { LocalEventBridge } from '../../../local/events/eventbridge.ts';
import { LocalEventsServer } from '../../../local/events/events-server.ts';
import { LocalSns } from '../../../local/events/sns.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';

let server: LocalEventsServer;
let endpoint: string;

beforeAll(async () => {
  const options = {
    functions: new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID),
    clock: new ManualClock(),
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
  };
  server = new LocalEventsServer({ sns: new LocalSns(options), eventBridge: new LocalEventBridge(options) });
  endpoint = await server.start();
});

afterAll(async () => {
  await server.close();
});

async function post(headers: Record<string, string>, body: string) {
  const response = await fetch(endpoint, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

describe('events server input handling', () => {
  it('answers a query without a valid Action with an awsQuery InvalidAction error', async () => {
    const reply = await post({ 'content-type': 'application/x-www-form-urlencoded' }, 'Version=2010-03-31');
    expect(reply.status).toBe(400);
    expect(reply.text).toContain('<Code>InvalidAction</Code>');
  });

  it('answers a missing parameter with InvalidParameter naming it', async () => {
    const reply = await post(
      { 'content-type': 'application/x-www-form-urlencoded' },
      'Action=Publish&Message=x',
    );
    expect(reply.status).toBe(400);
    expect(reply.text).toContain('<Code>InvalidParameter</Code>');
    expect(reply.text).toContain('TopicArn');
  });

  it('answers a non-JSON EventBridge body with ValidationException', async () => {
    const reply = await post(
      { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutRule' },
      '{not json',
    );
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toMatchObject({ __type: 'ValidationException' });
  });

  it('refuses a body over 1 MiB', async () => {
    const reply = await post(
      { 'content-type': 'application/x-www-form-urlencoded' },
      'a'.repeat(1024 * 1024 + 1),
    );
    expect(reply.status).toBe(413);
  });

  it('never answers 5xx to arbitrary bodies and keeps serving (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          { 'content-type': 'application/x-www-form-urlencoded' },
          { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
          { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutRule' },
          { 'content-type': 'text/plain' },
        ),
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.json({ maxDepth: 3 }),
          fc
            .dictionary(
              fc.constantFrom('Action', 'TopicArn', 'Message', 'Name', 'NextToken'),
              fc.string({ maxLength: 20 }),
            )
            .map((params) => new URLSearchParams(params).toString()),
        ),
        async (headers, body) => {
          const reply = await post(headers, body);
          expect(reply.status).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
    const client = new SNSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'still-alive' }));
    client.destroy();
    expect(TopicArn).toContain('still-alive');
  });
});
