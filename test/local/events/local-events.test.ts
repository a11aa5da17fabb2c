import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { LocalEvents } from '../../../local/events/local-events.ts';
import { executionFailurePattern } from '../../../local/events/patterns.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';
import { allowEventRule, allowTopic } from '../lambda/allow-invoke.ts';

let stateDir: string;
let functions: FunctionRegistry;
let events: LocalEvents;

async function start(): Promise<{ sns: SNSClient; bridge: EventBridgeClient }> {
  events = new LocalEvents({
    functions,
    clock: new ManualClock(),
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    stateDir,
  });
  const endpoint = await events.start();
  const config = { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  return { sns: new SNSClient(config), bridge: new EventBridgeClient(config) };
}

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'recert-events-'));
  functions = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
});

afterEach(async () => {
  await events.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe('SNS and EventBridge on one endpoint', () => {
  it('keeps subscriptions and rules across a restart and delivers through both after it', async () => {
    // Prepare
    const fanOut: unknown[] = [];
    const recorder: unknown[] = [];
    const fanOutFn = functions.register('fan-out', async (event) => {
      fanOut.push(event);
    });
    const recorderFn = functions.register('outcome-recorder', async (event) => {
      recorder.push(event);
    });
    let clients = await start();
    const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: 'audit' }));
    allowTopic(functions, fanOutFn.arn, String(TopicArn));
    allowEventRule(functions, recorderFn.arn, 'failures');
    await clients.sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: fanOutFn.arn }));
    await clients.bridge.send(
      new PutRuleCommand({ Name: 'failures', EventPattern: executionFailurePattern() }),
    );
    await clients.bridge.send(
      new PutTargetsCommand({ Rule: 'failures', Targets: [{ Id: 'r', Arn: recorderFn.arn }] }),
    );
    clients.sns.destroy();
    clients.bridge.destroy();
    await events.close();
    // Act
    clients = await start();
    await clients.sns.send(new PublishCommand({ TopicArn, Message: '{"taskId":"t"}' }));
    await clients.bridge.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'aws.states',
            DetailType: 'Step Functions Execution Status Change',
            Detail: JSON.stringify({ status: 'TIMED_OUT' }),
          },
        ],
      }),
    );
    await events.idle();
    clients.sns.destroy();
    clients.bridge.destroy();
    // Assess
    expect(fanOut).toHaveLength(1);
    expect(recorder).toEqual([
      expect.objectContaining({ source: 'aws.states', detail: { status: 'TIMED_OUT' } }),
    ]);
  });
});
