import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import type { LocalSns } from '../../../local/events/sns.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';
import { allowTopic } from '../lambda/allow-invoke.ts';
import { type ServedEvents, startServedEvents } from './served-events.ts';

let stateDir: string;
let clock: ManualClock;
let functions: FunctionRegistry;
let sns: LocalSns;
let served: ServedEvents;
let client: SNSClient;

async function start(): Promise<void> {
  served = await startServedEvents({ functions, clock, stateDir });
  sns = served.sns;
  client = new SNSClient({ endpoint: served.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

async function stop(): Promise<void> {
  client.destroy();
  await served.close();
}

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'recert-sns-'));
  clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  functions = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
  await start();
});

afterEach(async () => {
  await stop();
  await rm(stateDir, { recursive: true, force: true });
});

/** A function registered under `name` that keeps every event it is given. */
function recordingFunction(name: string) {
  const events: unknown[] = [];
  const fn = functions.register(name, async (event) => {
    events.push(event);
  });
  return { fn, events };
}

describe('local SNS over the awsQuery wire protocol', () => {
  it('delivers a message published with @aws-sdk/client-sns to a subscribed Lambda handler as an SNS event', async () => {
    // Prepare
    const { fn, events } = recordingFunction('fan-out');
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'audit-findings' }));
    allowTopic(functions, fn.arn, String(TopicArn));
    const { SubscriptionArn } = await client.send(
      new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: fn.arn }),
    );
    // Act
    const { MessageId } = await client.send(
      new PublishCommand({
        TopicArn,
        Subject: 'audit <done> & "ok"',
        Message: '{"taskId":"t-1"}',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'audit' } },
      }),
    );
    await sns.idle();
    // Assess
    expect(TopicArn).toBe(`arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:audit-findings`);
    expect(events).toEqual([
      {
        Records: [
          {
            EventSource: 'aws:sns',
            EventVersion: '1.0',
            EventSubscriptionArn: SubscriptionArn,
            Sns: expect.objectContaining({
              Type: 'Notification',
              MessageId,
              TopicArn,
              Subject: 'audit <done> & "ok"',
              Message: '{"taskId":"t-1"}',
              Timestamp: '2026-01-01T12:00:00.000Z',
              MessageAttributes: { kind: { Type: 'String', Value: 'audit' } },
            }),
          },
        ],
      },
    ]);
    expect(sns.published(TopicArn).map((m) => m.message)).toEqual(['{"taskId":"t-1"}']);
  });

  it('answers NotFoundException for a missing topic and InvalidParameterException for a bad protocol', async () => {
    const missing = await client
      .send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:nope', Message: 'x' }))
      .catch((e: unknown) => e);
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 't' }));
    const badProtocol = await client
      .send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'ops@example.com' }))
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ name: 'NotFoundException' });
    expect(badProtocol).toMatchObject({ name: 'InvalidParameterException' });
  });

  it('retries a failing subscriber with Lambda async retries on the clock', async () => {
    // Prepare
    let calls = 0;
    const fn = functions.register('flaky', async () => {
      calls++;
      if (calls < 3) throw new Error('not yet');
    });
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'retry' }));
    allowTopic(functions, fn.arn, String(TopicArn));
    await client.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: fn.arn }));
    const outcomes: boolean[] = [];
    sns.onDelivery((delivery) => outcomes.push(delivery.outcome.ok));
    // Act
    await client.send(new PublishCommand({ TopicArn, Message: 'm' }));
    await new Promise((resolve) => setImmediate(resolve));
    const afterFirst = calls;
    await clock.advance(180_000);
    await sns.idle();
    // Assess
    expect(afterFirst).toBe(1);
    expect(calls).toBe(3);
    expect(outcomes).toEqual([true]);
  });

  it('keeps topics and subscriptions across a restart', async () => {
    // Prepare
    const { fn, events } = recordingFunction('durable');
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'durable' }));
    allowTopic(functions, fn.arn, String(TopicArn));
    await client.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: fn.arn }));
    await stop();
    // Act
    await start();
    const topics = await client.send(new ListTopicsCommand({}));
    const subs = await client.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    await client.send(new PublishCommand({ TopicArn, Message: 'after restart' }));
    await sns.idle();
    // Assess
    expect(topics.Topics?.map((t) => t.TopicArn)).toEqual([TopicArn]);
    expect(subs.Subscriptions?.map((s) => [s.Protocol, s.Endpoint])).toEqual([['lambda', fn.arn]]);
    expect(events).toHaveLength(1);
  });
});
