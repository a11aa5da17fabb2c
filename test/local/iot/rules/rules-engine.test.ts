import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTopicRuleCommand,
  DeleteTopicRuleCommand,
  GetTopicRuleCommand,
  type IoTClient,
  ListTopicRulesCommand,
  ReplaceTopicRuleCommand,
  type TopicRulePayload,
} from '@aws-sdk/client-iot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../../../local/config.ts';
import { topicRuleRoutes } from '../../../../local/iot/rules/rule-routes.ts';
import {
  RulesEngine,
  type RulesEngineEvent,
  type RulesEngineOptions,
} from '../../../../local/iot/rules/rules-engine.ts';
import { FunctionRegistry } from '../../../../local/lambda/registry.ts';
import { allowTopicRule } from '../../lambda/allow-invoke.ts';
import { MemoryBus } from './helpers/memory-bus.ts';
import { RestHarness } from './helpers/rest-harness.ts';

const REPLY_SQL =
  "SELECT *, clientid() AS clientId, principal() AS principal, topic(4) AS kind FROM 'management/topic/+/+' " +
  "WHERE topic(4) = 'csr_res' OR topic(4) = 'crt_ack' OR topic(4) = 'crt_err'";

interface Fixture {
  stateDir: string;
  clock: ManualClock;
  bus: MemoryBus;
  functions: FunctionRegistry;
  engine: RulesEngine;
  harness: RestHarness;
  iot: IoTClient;
  events: RulesEngineEvent[];
}

/** A rules engine in the local region and account; `more` adds its state directory or listener. */
const newEngine = (
  clock: ManualClock,
  functions: FunctionRegistry,
  bus: MemoryBus,
  more: Partial<RulesEngineOptions> = {},
): RulesEngine =>
  new RulesEngine({ bus, functions, clock, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID, ...more });

async function startEngine(
  stateDir: string,
  clock: ManualClock,
  functions: FunctionRegistry,
  bus: MemoryBus,
) {
  const events: RulesEngineEvent[] = [];
  const engine = newEngine(clock, functions, bus, { stateDir, onEvent: (event) => events.push(event) });
  await engine.start();
  const harness = new RestHarness(topicRuleRoutes(engine));
  const iot = await harness.client();
  return { engine, harness, iot, events };
}

let f: Fixture;

beforeEach(async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'recert-rules-'));
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const bus = new MemoryBus(() => clock.now());
  const functions = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
  f = { stateDir, clock, bus, functions, ...(await startEngine(stateDir, clock, functions, bus)) };
});

afterEach(async () => {
  await f.engine.close();
  await f.harness.close();
  await rm(f.stateDir, { recursive: true, force: true });
});

/** A function that records the events it gets, which the named rule may invoke. */
function recordingTarget(functionName: string, ruleName: string) {
  const received: unknown[] = [];
  const fn = f.functions.register(functionName, async (event) => {
    received.push(event);
  });
  allowTopicRule(f.functions, fn.arn, ruleName);
  return { fn, received };
}

/** Creates a rule through the IoT SDK. */
function createRule(ruleName: string, topicRulePayload: TopicRulePayload) {
  return f.iot.send(new CreateTopicRuleCommand({ ruleName, topicRulePayload }));
}

describe('rules engine', () => {
  it('delivers a csr_res reply to the Lambda handler with clientId, principal and kind filled by the rule', async () => {
    // Prepare
    const { fn, received } = recordingTarget('device-reply', 'device_replies');
    await createRule('device_replies', {
      sql: REPLY_SQL,
      awsIotSqlVersion: '2016-03-23',
      actions: [{ lambda: { functionArn: fn.arn } }],
    });
    // Act
    f.bus.inject({
      topic: 'management/topic/thing-7/csr_res',
      payload: Buffer.from(
        JSON.stringify({ rotationId: 'rot-1', CSR: '-----BEGIN CERTIFICATE REQUEST-----' }),
      ),
      qos: 1,
      retain: false,
      clientId: 'thing-7',
      principal: 'c0ffee',
    });
    f.bus.inject({
      topic: 'management/topic/thing-7/csr_req',
      payload: Buffer.from('{"rotationId":"rot-1"}'),
      qos: 1,
      retain: false,
    });
    await f.engine.idle();
    // Assess
    expect(received).toEqual([
      {
        rotationId: 'rot-1',
        CSR: '-----BEGIN CERTIFICATE REQUEST-----',
        clientId: 'thing-7',
        principal: 'c0ffee',
        kind: 'csr_res',
      },
    ]);
  });

  it('retries a failing Lambda action twice on the clock, then runs the error action with AWS error payload', async () => {
    // Prepare
    const attemptsAt: number[] = [];
    const failing = f.functions.register('flaky', async () => {
      attemptsAt.push(f.clock.now());
      const error = new Error('table unavailable');
      error.name = 'ServiceUnavailable';
      throw error;
    });
    const errors: unknown[] = [];
    const onError = f.functions.register('rule-errors', async (event) => {
      errors.push(event);
    });
    allowTopicRule(f.functions, failing.arn, 'with_error_action');
    allowTopicRule(f.functions, onError.arn, 'with_error_action');
    await createRule('with_error_action', {
      sql: "SELECT * FROM 'devices/+/data'",
      actions: [{ lambda: { functionArn: failing.arn } }],
      errorAction: { lambda: { functionArn: onError.arn } },
    });
    const start = f.clock.now();
    // Act
    f.bus.inject({
      topic: 'devices/d1/data',
      payload: Buffer.from('{"t":1}'),
      qos: 0,
      retain: false,
      clientId: 'd1',
    });
    await new Promise((resolve) => setImmediate(resolve));
    const beforeRetries = errors.length;
    await f.clock.advance(60_000);
    await f.clock.advance(120_000);
    await f.engine.idle();
    // Assess
    expect(beforeRetries).toBe(0);
    expect(attemptsAt).toEqual([start, start + 60_000, start + 180_000]);
    expect(errors).toEqual([
      {
        ruleName: 'with_error_action',
        topic: 'devices/d1/data',
        cloudwatchTraceId: expect.any(String),
        clientId: 'd1',
        base64OriginalPayload: Buffer.from('{"t":1}').toString('base64'),
        failures: [
          {
            failedAction: 'LambdaAction',
            failedResource: failing.arn,
            errorMessage: expect.stringContaining('ServiceUnavailable: table unavailable'),
          },
        ],
      },
    ]);
  });

  it('republishes to a topic built from a substitution template', async () => {
    // Prepare
    await createRule('echo', {
      sql: "SELECT rotationId, clientid() AS who FROM 'management/topic/+/crt_ack'",
      actions: [
        {
          republish: {
            roleArn: 'arn:aws:iam::000000000000:role/r',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT substitution template, not JavaScript
            topic: 'audit/${topic(3)}/ack',
            qos: 1,
          },
        },
      ],
    });
    // Act
    f.bus.inject({
      topic: 'management/topic/thing-2/crt_ack',
      payload: Buffer.from('{"rotationId":"r9"}'),
      qos: 1,
      retain: false,
      clientId: 'thing-2',
    });
    await f.engine.idle();
    // Assess
    expect(f.bus.published.map((m) => [m.topic, m.payload.toString(), m.qos])).toEqual([
      ['audit/thing-2/ack', '{"rotationId":"r9","who":"thing-2"}', 1],
    ]);
  });

  it('refuses a rule with a SQL syntax error with SqlParseException pointing at it, and stores nothing', async () => {
    // Act
    const error = await createRule('broken', { sql: "SELECT * FORM 'a/b'", actions: [] }).catch(
      (e: unknown) => e,
    );
    const list = await f.iot.send(new ListTopicRulesCommand({}));
    // Assess
    expect(error).toMatchObject({ name: 'SqlParseException' });
    expect(error instanceof Error ? error.message : '').toContain("Line 1:10: expected FROM, found 'FORM'");
    expect(list.rules).toEqual([]);
  });

  it('refuses an action type the local engine cannot run', async () => {
    const error = await createRule('to_s3', {
      sql: "SELECT * FROM 'a'",
      actions: [{ s3: { roleArn: 'arn:aws:iam::0:role/x', bucketName: 'b', key: 'k' } }],
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidRequestException' });
    expect(error instanceof Error ? error.message : '').toContain("action type 's3' is not supported");
  });

  it('gets, lists with pagination, replaces and deletes rules through the IoT SDK', async () => {
    // Prepare
    for (const name of ['r_a', 'r_b', 'r_c']) {
      await createRule(name, { sql: `SELECT * FROM '${name}/+'`, actions: [] });
    }
    // Act
    const duplicate = await createRule('r_a', { sql: "SELECT * FROM 'x'", actions: [] }).catch(
      (e: unknown) => e,
    );
    const page1 = await f.iot.send(new ListTopicRulesCommand({ maxResults: 2 }));
    const page2 = await f.iot.send(new ListTopicRulesCommand({ maxResults: 2, nextToken: page1.nextToken }));
    await f.iot.send(
      new ReplaceTopicRuleCommand({
        ruleName: 'r_b',
        topicRulePayload: {
          sql: "SELECT a FROM 'other/#'",
          actions: [],
          ruleDisabled: true,
          description: 'replaced',
        },
      }),
    );
    const got = await f.iot.send(new GetTopicRuleCommand({ ruleName: 'r_b' }));
    await f.iot.send(new DeleteTopicRuleCommand({ ruleName: 'r_c' }));
    const missing = await f.iot.send(new GetTopicRuleCommand({ ruleName: 'r_c' })).catch((e: unknown) => e);
    const byTopic = await f.iot.send(new ListTopicRulesCommand({ topic: 'other/#' }));
    // Assess
    expect(duplicate).toMatchObject({ name: 'ResourceAlreadyExistsException' });
    expect(page1.rules?.map((r) => r.ruleName)).toEqual(['r_a', 'r_b']);
    expect(page2.rules?.map((r) => [r.ruleName, r.topicPattern])).toEqual([['r_c', 'r_c/+']]);
    expect(page2.nextToken).toBeUndefined();
    expect(got.ruleArn).toBe(`arn:aws:iot:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/r_b`);
    expect(got.rule).toMatchObject({
      sql: "SELECT a FROM 'other/#'",
      ruleDisabled: true,
      description: 'replaced',
    });
    expect(got.rule?.createdAt).toEqual(new Date(Date.UTC(2026, 0, 1)));
    expect(missing).toMatchObject({ name: 'UnauthorizedException' });
    expect(byTopic.rules?.map((r) => r.ruleName)).toEqual(['r_b']);
  });

  it('keeps its rules across a restart and runs them', async () => {
    // Prepare
    const { fn, received } = recordingTarget('after-restart', 'durable');
    await createRule('durable', { sql: REPLY_SQL, actions: [{ lambda: { functionArn: fn.arn } }] });
    await f.engine.close();
    await f.harness.close();
    // Act
    Object.assign(f, await startEngine(f.stateDir, f.clock, f.functions, f.bus));
    const got = await f.iot.send(new GetTopicRuleCommand({ ruleName: 'durable' }));
    f.bus.inject({
      topic: 'management/topic/t1/crt_err',
      payload: Buffer.from('{"rotationId":"r","error":"bad"}'),
      qos: 1,
      retain: false,
      clientId: 't1',
      principal: 'p1',
    });
    await f.engine.idle();
    // Assess
    expect(got.rule?.sql).toBe(REPLY_SQL);
    expect(received).toEqual([
      { rotationId: 'r', error: 'bad', clientId: 't1', principal: 'p1', kind: 'crt_err' },
    ]);
  });

  it('does not run a disabled rule, and runs it again once replaced as enabled', async () => {
    // Prepare
    const { fn, received } = recordingTarget('toggle', 'toggled');
    const payload = { sql: "SELECT n FROM 'toggle'", actions: [{ lambda: { functionArn: fn.arn } }] };
    await f.engine.createRule('toggled', { ...payload, ruleDisabled: true });
    // Act
    f.bus.inject({ topic: 'toggle', payload: Buffer.from('{"n":1}'), qos: 0, retain: false });
    await f.engine.idle();
    await f.engine.replaceRule('toggled', { ...payload, ruleDisabled: false });
    f.bus.inject({ topic: 'toggle', payload: Buffer.from('{"n":2}'), qos: 0, retain: false });
    await f.engine.idle();
    // Assess
    expect(received).toEqual([{ n: 2 }]);
  });

  it('reports a rule whose SELECT cannot be built for a binary payload, without running actions', async () => {
    const { fn, received } = recordingTarget('never', 'binary');
    await f.engine.createRule('binary', {
      sql: "SELECT *, clientid() AS c FROM 'bin'",
      actions: [{ lambda: { functionArn: fn.arn } }],
    });
    f.bus.inject({ topic: 'bin', payload: Buffer.from([0xff, 0xfe]), qos: 0, retain: false });
    await f.engine.idle();
    expect(received).toEqual([]);
    expect(f.events.some((e) => e.type === 'sql-error' && e.ruleName === 'binary')).toBe(true);
  });
});

describe('rules engine shutdown', () => {
  it('closes without waiting for pending Lambda retries and runs no error action afterwards', async () => {
    // Prepare
    const clock = new ManualClock();
    const bus = new MemoryBus(() => clock.now());
    const functions = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
    const failing = functions.register('always-fails', async () => {
      throw new Error('down');
    });
    const errors: unknown[] = [];
    const onError = functions.register('errors', async (event) => {
      errors.push(event);
    });
    allowTopicRule(functions, failing.arn, 'r');
    allowTopicRule(functions, onError.arn, 'r');
    const engine = newEngine(clock, functions, bus);
    await engine.start();
    await engine.createRule('r', {
      sql: "SELECT * FROM 'x'",
      actions: [{ lambda: { functionArn: failing.arn } }],
      errorAction: { lambda: { functionArn: onError.arn } },
    });
    bus.inject({ topic: 'x', payload: Buffer.from('{}'), qos: 0, retain: false });
    await new Promise((resolve) => setImmediate(resolve));
    // Act
    await engine.close();
    await clock.advance(600_000);
    // Assess
    expect(clock.pendingTimers()).toBe(0);
    expect(errors).toEqual([]);
  });
});
