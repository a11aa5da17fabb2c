import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { LocalEventBridge } from '../../../local/events/eventbridge.ts';
import { LocalEventsServer } from '../../../local/events/events-server.ts';
import { executionFailurePattern } from '../../../local/events/patterns.ts';
import { LocalSns } from '../../../local/events/sns.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';
import type { StatusChangeEvent } from '../../../local/stepfunctions/engine.ts';
import { allowEventRule } from '../lambda/allow-invoke.ts';

let clock: ManualClock;
let functions: FunctionRegistry;
let bridge: LocalEventBridge;
let server: LocalEventsServer;
let client: EventBridgeClient;

beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  functions = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
  const options = { functions, clock, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID };
  bridge = new LocalEventBridge(options);
  server = new LocalEventsServer({ sns: new LocalSns(options), eventBridge: bridge });
  client = new EventBridgeClient({
    endpoint: await server.start(),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
});

afterEach(async () => {
  client.destroy();
  await server.close();
  await bridge.close();
});

function statusChange(status: string) {
  return {
    Source: 'aws.states',
    DetailType: 'Step Functions Execution Status Change',
    Detail: JSON.stringify({
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:rotate:${status}`,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:rotate',
      status,
    }),
    Resources: [`arn:aws:states:us-east-1:000000000000:execution:rotate:${status}`],
  };
}

describe('local EventBridge over awsJson1_1', () => {
  it('delivers only FAILED, TIMED_OUT and ABORTED status changes to the outcome recorder', async () => {
    // Prepare
    const received: { status: unknown; detailType: unknown }[] = [];
    const recorder = functions.register('outcome-recorder', async (event) => {
      if (typeof event === 'object' && event !== null && 'detail' in event && 'detail-type' in event) {
        const detail = event.detail;
        const status =
          typeof detail === 'object' && detail !== null && 'status' in detail ? detail.status : undefined;
        received.push({ status, detailType: event['detail-type'] });
      }
    });
    const { RuleArn } = await client.send(
      new PutRuleCommand({ Name: 'rotation-failures', EventPattern: executionFailurePattern() }),
    );
    allowEventRule(functions, recorder.arn, 'rotation-failures');
    await client.send(
      new PutTargetsCommand({ Rule: 'rotation-failures', Targets: [{ Id: 'recorder', Arn: recorder.arn }] }),
    );
    // Act
    const put = await client.send(
      new PutEventsCommand({
        Entries: ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'].map(statusChange),
      }),
    );
    await bridge.idle();
    const targets = await client.send(new ListTargetsByRuleCommand({ Rule: 'rotation-failures' }));
    // Assess
    expect(RuleArn).toBe(`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/rotation-failures`);
    expect(put.FailedEntryCount).toBe(0);
    expect(put.Entries?.every((e) => typeof e.EventId === 'string')).toBe(true);
    expect(received.map((r) => r.status).sort()).toEqual(['ABORTED', 'FAILED', 'TIMED_OUT']);
    expect(received.every((r) => r.detailType === 'Step Functions Execution Status Change')).toBe(true);
    expect(targets.Targets).toEqual([{ Id: 'recorder', Arn: recorder.arn }]);
    expect(bridge.events()[0]).toMatchObject({
      version: '0',
      account: LOCAL_ACCOUNT_ID,
      time: '2026-01-01T12:00:00Z',
    });
  });

  it('refuses a malformed pattern with InvalidEventPatternException and reports bad entries per entry', async () => {
    const bad = await client
      .send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"source":"aws.states"}' }))
      .catch((e: unknown) => e);
    const put = await client.send(
      new PutEventsCommand({
        Entries: [{ Source: 's', DetailType: 'd', Detail: 'not json' }, statusChange('FAILED')],
      }),
    );
    expect(bad).toMatchObject({ name: 'InvalidEventPatternException' });
    expect(bad instanceof Error ? bad.message : '').toContain('source: match values must be in an array');
    expect(put.FailedEntryCount).toBe(1);
    expect(put.Entries?.[0]).toMatchObject({ ErrorCode: 'MalformedDetail' });
  });

  it('describes, lists and deletes rules, refusing to delete one that still has targets', async () => {
    // Prepare
    await client.send(
      new PutRuleCommand({ Name: 'a-rule', EventPattern: executionFailurePattern(), Description: 'd' }),
    );
    await client.send(
      new PutRuleCommand({ Name: 'b-rule', EventPattern: '{"source":["x"]}', State: 'DISABLED' }),
    );
    await client.send(
      new PutTargetsCommand({
        Rule: 'a-rule',
        Targets: [{ Id: 't', Arn: 'arn:aws:lambda:us-east-1:0:function:f' }],
      }),
    );
    // Act
    const described = await client.send(new DescribeRuleCommand({ Name: 'b-rule' }));
    const listed = await client.send(new ListRulesCommand({ NamePrefix: 'a-' }));
    const refused = await client.send(new DeleteRuleCommand({ Name: 'a-rule' })).catch((e: unknown) => e);
    await client.send(new RemoveTargetsCommand({ Rule: 'a-rule', Ids: ['t'] }));
    await client.send(new DeleteRuleCommand({ Name: 'a-rule' }));
    const after = await client.send(new ListRulesCommand({}));
    // Assess
    expect(described).toMatchObject({ Name: 'b-rule', State: 'DISABLED', EventPattern: '{"source":["x"]}' });
    expect(listed.Rules?.map((r) => [r.Name, r.Description])).toEqual([['a-rule', 'd']]);
    expect(refused).toMatchObject({ name: 'ValidationException' });
    expect(after.Rules?.map((r) => r.Name)).toEqual(['b-rule']);
  });

  it('answers ResourceNotFoundException for targets of a missing rule', async () => {
    const error = await client
      .send(
        new PutTargetsCommand({
          Rule: 'missing',
          Targets: [{ Id: 'a', Arn: 'arn:aws:lambda:us-east-1:0:function:f' }],
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('events emitted by the local Step Functions engine', () => {
  it('routes a status-change event as the engine builds it, keeping its id', async () => {
    // Prepare
    const ids: unknown[] = [];
    const recorder = functions.register('recorder', async (event) => {
      if (typeof event === 'object' && event !== null && 'id' in event) ids.push(event.id);
    });
    await bridge.putRule({ Name: 'failures', EventPattern: executionFailurePattern() });
    await bridge.putTargets('failures', [{ Id: 'r', Arn: recorder.arn }]);
    allowEventRule(functions, recorder.arn, 'failures');
    const event: StatusChangeEvent = {
      version: '0',
      id: 'event-1',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: LOCAL_ACCOUNT_ID,
      time: '2026-01-01T12:00:00Z',
      region: LOCAL_REGION,
      resources: ['arn:aws:states:us-east-1:000000000000:execution:rotate:x'],
      detail: {
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:rotate:x',
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:rotate',
        name: 'x',
        status: 'FAILED',
        startDate: 0,
        stopDate: 1,
        input: '{}',
        inputDetails: { included: true },
        output: null,
        outputDetails: null,
        error: 'States.TaskFailed',
        cause: 'boom',
        redriveCount: 0,
        redriveDate: null,
        redriveStatus: 'REDRIVABLE',
        redriveStatusReason: '',
        stateMachineVersionArn: null,
        stateMachineAliasArn: null,
      },
    };
    // Act
    bridge.emit(event);
    await bridge.idle();
    // Assess
    expect(ids).toEqual(['event-1']);
  });
});
