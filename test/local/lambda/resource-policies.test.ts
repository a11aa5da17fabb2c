import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../../local/config.ts';
import { AsyncLambdaInvoker } from '../../../local/events/async-invoke.ts';
import { type EventDelivery, LocalEventBridge } from '../../../local/events/eventbridge.ts';
import { LocalSns, type SnsDelivery } from '../../../local/events/sns.ts';
import type { InvokeCaller, PolicyDocument, Principal } from '../../../local/iam/types.ts';
import { RulesEngine } from '../../../local/iot/rules/rules-engine.ts';
import { LambdaPermissionError } from '../../../local/lambda/permissions.ts';
import { FunctionRegistry, INVOKE_ACTION, LambdaInvocationError } from '../../../local/lambda/registry.ts';
import { MemoryBus } from '../iot/rules/helpers/memory-bus.ts';
import { allowEventRule, allowTopic, allowTopicRule } from './allow-invoke.ts';

const ACCOUNT = LOCAL_ACCOUNT_ID;
const ruleArn = (name: string) => `arn:aws:iot:${LOCAL_REGION}:${ACCOUNT}:rule/${name}`;

/** A function that records the events it receives. */
function recording(functions: FunctionRegistry, name: string) {
  const received: unknown[] = [];
  const fn = functions.register(name, async (event) => {
    received.push(event);
  });
  return { fn, received };
}

/** Device d1's reply `{ n }`, as IoT Core hands it to the rules engine. */
function deviceReply(n: number) {
  return {
    topic: 'devices/d1/reply',
    payload: Buffer.from(JSON.stringify({ n })),
    qos: 1,
    retain: false,
    clientId: 'd1',
  } as const;
}

type Recording = ReturnType<typeof recording>;

/**
 * Only `right` (permitted) got the event; the deliveries to `none` (no permission) and `wrong` (a
 * permission for another source) were refused with AccessDeniedException and not retried.
 */
function expectOnlyPermittedDelivered(
  targets: { none: Recording; wrong: Recording; right: Recording },
  deliveryTo: (fn: Recording['fn']) => { outcome: unknown } | undefined,
) {
  const { none, wrong, right } = targets;
  expect(none.received).toEqual([]);
  expect(wrong.received).toEqual([]);
  expect(right.received).toHaveLength(1);
  for (const { fn } of [none, wrong]) {
    expect(deliveryTo(fn)?.outcome).toMatchObject({
      ok: false,
      attempts: 0,
      error: { name: 'AccessDeniedException' },
    });
  }
  expect(deliveryTo(right.fn)?.outcome).toMatchObject({ ok: true, attempts: 1 });
}

function roleSession(role: string, policies: PolicyDocument[], administrator = false): Principal {
  return {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/session`,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/${role}`,
    policies,
    administrator,
  };
}

const allowInvokeOf = (resource: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: INVOKE_ACTION, Resource: resource }],
});

describe("Lambda's AddPermission", () => {
  it('stores the statement as Lambda does: service principal, ArnLike source ARN, StringEquals source account', () => {
    // Prepare
    const functions = new FunctionRegistry(LOCAL_REGION, ACCOUNT);
    const fn = functions.register('device-reply', async () => undefined);
    // Act
    functions.addPermission('device-reply', {
      statementId: 'invoked-by-replies',
      action: INVOKE_ACTION,
      principal: 'iot.amazonaws.com',
      sourceArn: ruleArn('replies'),
      sourceAccount: ACCOUNT,
    });
    functions.addPermission(fn.arn, {
      statementId: 'other-account',
      action: INVOKE_ACTION,
      principal: '111122223333',
    });
    // Assess
    expect(functions.policyOf(fn.arn)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'invoked-by-replies',
          Effect: 'Allow',
          Principal: { Service: 'iot.amazonaws.com' },
          Action: INVOKE_ACTION,
          Resource: fn.arn,
          Condition: {
            ArnLike: { 'AWS:SourceArn': ruleArn('replies') },
            StringEquals: { 'AWS:SourceAccount': ACCOUNT },
          },
        },
        {
          Sid: 'other-account',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111122223333:root' },
          Action: INVOKE_ACTION,
          Resource: fn.arn,
        },
      ],
    });
  });

  it("refuses a reused statement id, a missing function and malformed input with Lambda's errors", () => {
    // Prepare
    const functions = new FunctionRegistry(LOCAL_REGION, ACCOUNT);
    const fn = functions.register('f', async () => undefined);
    const permission = { statementId: 'sns', action: INVOKE_ACTION, principal: 'sns.amazonaws.com' };
    functions.addPermission(fn.arn, permission);
    const attempt = (call: () => unknown): unknown => {
      try {
        call();
        return undefined;
      } catch (error) {
        return error;
      }
    };
    // Act
    const reused = attempt(() => functions.addPermission(fn.arn, permission));
    const missing = attempt(() => functions.addPermission('missing', permission));
    const badAccount = attempt(() =>
      functions.addPermission(fn.arn, { ...permission, statementId: 'x', sourceAccount: '12' }),
    );
    const badSid = attempt(() => functions.addPermission(fn.arn, { ...permission, statementId: 'a b' }));
    const notThere = attempt(() => functions.removePermission(fn.arn, 'nope'));
    functions.removePermission(fn.arn, 'sns');
    // Assess
    expect(reused).toBeInstanceOf(LambdaPermissionError);
    expect(reused).toMatchObject({
      code: 'ResourceConflictException',
      message:
        'The statement id (sns) provided already exists. Please provide a new statement id, or remove the existing statement.',
    });
    expect(missing).toMatchObject({
      code: 'ResourceNotFoundException',
      message: `Function not found: ${functions.arnOf('missing')}`,
    });
    expect(badAccount).toMatchObject({ code: 'InvalidParameterValueException' });
    expect(badSid).toMatchObject({ code: 'InvalidParameterValueException' });
    expect(notThere).toMatchObject({ code: 'ResourceNotFoundException' });
    expect(functions.policyOf(fn.arn)).toBeUndefined();
  });
});

describe('Invoke by an AWS service, against the resource-based policy', () => {
  const iot = (name: string): Extract<InvokeCaller, { kind: 'service' }> => ({
    kind: 'service',
    service: 'iot.amazonaws.com',
    sourceArn: ruleArn(name),
    sourceAccount: ACCOUNT,
  });

  it('refuses a service without a permission, and allows it only from the source ARN and account granted', async () => {
    // Prepare
    const functions = new FunctionRegistry(LOCAL_REGION, ACCOUNT);
    const { fn, received } = recording(functions, 'f');
    // Act
    const before = await functions.invoke(fn.arn, { n: 0 }, iot('granted')).catch((e: unknown) => e);
    allowTopicRule(functions, fn.arn, 'granted');
    const granted = await functions.invoke(fn.arn, { n: 1 }, iot('granted'));
    const otherRule = await functions.invoke(fn.arn, { n: 2 }, iot('other')).catch((e: unknown) => e);
    const otherAccount = await functions
      .invoke(fn.arn, { n: 3 }, { ...iot('granted'), sourceAccount: '111122223333' })
      .catch((e: unknown) => e);
    const otherService = await functions
      .invoke(fn.arn, { n: 4 }, { ...iot('granted'), service: 'sns.amazonaws.com' })
      .catch((e: unknown) => e);
    const direct = await functions.invoke(fn.arn, { n: 5 });
    // Assess
    const refusal = {
      errorType: 'AccessDeniedException',
      errorMessage: `User: iot.amazonaws.com is not authorized to perform: lambda:InvokeFunction on resource: ${fn.arn} because no resource-based policy allows the lambda:InvokeFunction action`,
    };
    expect(before).toBeInstanceOf(LambdaInvocationError);
    expect(before).toMatchObject(refusal);
    expect(granted).toBeUndefined();
    expect(otherRule).toMatchObject(refusal);
    expect(otherAccount).toMatchObject(refusal);
    expect(otherService).toMatchObject({ errorType: 'AccessDeniedException' });
    expect(direct).toBeUndefined();
    expect(received).toEqual([{ n: 1 }, { n: 5 }]);
    // Refused calls are not invocations: Lambda never ran (nor bills) them.
    expect(functions.invocations().get('f')).toBe(2);
  });

  it('decides again once the policy changes, though decisions are cached', async () => {
    // Prepare
    const functions = new FunctionRegistry(LOCAL_REGION, ACCOUNT);
    const { fn } = recording(functions, 'f');
    functions.addPermission(fn.arn, {
      statementId: 'rule',
      action: INVOKE_ACTION,
      principal: 'iot.amazonaws.com',
      sourceArn: ruleArn('r'),
    });
    // Act
    const first = functions.authorize(fn.arn, iot('r'));
    const again = functions.authorize(fn.arn, iot('r'));
    functions.removePermission(fn.arn, 'rule');
    const afterRemoval = functions.authorize(fn.arn, iot('r'));
    // Assess
    expect(first).toBeUndefined();
    expect(again).toBeUndefined();
    expect(afterRemoval).toMatchObject({ errorType: 'AccessDeniedException' });
  });

  it('refuses before an injected service failure, which the next allowed call still meets', async () => {
    // Prepare
    const functions = new FunctionRegistry(LOCAL_REGION, ACCOUNT);
    const { fn, received } = recording(functions, 'f');
    allowTopicRule(functions, fn.arn, 'granted');
    functions.failNextInvocations(fn.arn, 'ServiceException');
    // Act
    const refused = await functions.invoke(fn.arn, {}, iot('other')).catch((e: unknown) => e);
    const failed = await functions.invoke(fn.arn, {}, iot('granted')).catch((e: unknown) => e);
    await functions.invoke(fn.arn, { n: 1 }, iot('granted'));
    // Assess
    expect(refused).toMatchObject({ errorType: 'AccessDeniedException' });
    expect(failed).toMatchObject({ errorType: 'Lambda.ServiceException' });
    expect(received).toEqual([{ n: 1 }]);
  });

  it('is not retried by the asynchronous invoker: the Invoke call itself was refused', async () => {
    // Prepare
    const clock = new ManualClock();
    const functions = new FunctionRegistry(LOCAL_REGION, ACCOUNT);
    const invoker = new AsyncLambdaInvoker(functions, clock);
    const { fn, received } = recording(functions, 'f');
    // Act
    const outcome = await invoker.invoke(fn.arn, {}, iot('r'));
    await clock.advance(600_000);
    // Assess
    expect(outcome).toMatchObject({ ok: false, attempts: 0, error: { name: 'AccessDeniedException' } });
    expect(clock.pendingTimers()).toBe(0);
    expect(received).toEqual([]);
  });
});

describe('IoT rules, SNS and EventBridge invoke only functions that permit them', () => {
  function rulesEngine(functions: FunctionRegistry, clock: ManualClock, bus: MemoryBus) {
    return new RulesEngine({ bus, functions, clock, region: LOCAL_REGION, accountId: ACCOUNT });
  }

  it('an IoT rule whose function has no permission does not invoke it, and its error action runs', async () => {
    // Prepare
    const clock = new ManualClock();
    const bus = new MemoryBus(() => clock.now());
    const functions = new FunctionRegistry(LOCAL_REGION, ACCOUNT);
    const { fn, received } = recording(functions, 'device-reply');
    const errors = recording(functions, 'rule-errors');
    allowTopicRule(functions, errors.fn.arn, 'replies');
    const engine = rulesEngine(functions, clock, bus);
    await engine.start();
    await engine.createRule('replies', {
      sql: "SELECT * FROM 'devices/+/reply'",
      actions: [{ lambda: { functionArn: fn.arn } }],
      errorAction: { lambda: { functionArn: errors.fn.arn } },
    });
    // Act
    bus.inject(deviceReply(1));
    await engine.idle();
    await engine.close();
    // Assess
    expect(received).toEqual([]);
    expect(errors.received).toEqual([
      expect.objectContaining({
        ruleName: 'replies',
        topic: 'devices/d1/reply',
        clientId: 'd1',
        failures: [
          {
            failedAction: 'LambdaAction',
            failedResource: fn.arn,
            errorMessage: expect.stringMatching(
              new RegExp(
                `^Failed to invoke lambda function\\. The error received was User: iot\\.amazonaws\\.com is not authorized to perform: lambda:InvokeFunction on resource: ${fn.arn} because no resource-based policy allows the lambda:InvokeFunction action \\(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: .+\\)$`,
              ),
            ),
          },
        ],
      }),
    ]);
  });

  it("an IoT rule is refused when the function permits another rule's ARN, and invokes it once its own is added", async () => {
    // Prepare
    const clock = new ManualClock();
    const bus = new MemoryBus(() => clock.now());
    const functions = new FunctionRegistry(LOCAL_REGION, ACCOUNT);
    const { fn, received } = recording(functions, 'device-reply');
    allowTopicRule(functions, fn.arn, 'some_other_rule');
    const engine = rulesEngine(functions, clock, bus);
    await engine.start();
    await engine.createRule('replies', {
      sql: "SELECT * FROM 'devices/+/reply'",
      actions: [{ lambda: { functionArn: fn.arn } }],
      errorAction: { republish: { topic: 'errors/replies', roleArn: `arn:aws:iam::${ACCOUNT}:role/rules` } },
    });
    // Act
    bus.inject(deviceReply(1));
    await engine.idle();
    allowTopicRule(functions, fn.arn, 'replies');
    bus.inject(deviceReply(2));
    await engine.idle();
    await engine.close();
    // Assess
    expect(received).toEqual([{ n: 2 }]);
    const errorMessages = bus.published.filter((m) => m.topic === 'errors/replies');
    expect(errorMessages).toHaveLength(1);
    expect(JSON.parse(String(errorMessages[0]?.payload))).toMatchObject({
      failures: [
        { failedAction: 'LambdaAction', errorMessage: expect.stringContaining('AccessDeniedException') },
      ],
    });
  });

  it('SNS does not deliver to a function without a permission for the topic, and does not retry', async () => {
    // Prepare
    const clock = new ManualClock();
    const functions = new FunctionRegistry(LOCAL_REGION, ACCOUNT);
    const sns = new LocalSns({ functions, clock, region: LOCAL_REGION, accountId: ACCOUNT });
    const none = recording(functions, 'no-permission');
    const wrong = recording(functions, 'other-topic');
    const right = recording(functions, 'this-topic');
    const topicArn = await sns.createTopic('audit');
    allowTopic(functions, wrong.fn.arn, sns.topicArn('another'));
    allowTopic(functions, right.fn.arn, topicArn);
    for (const { fn } of [none, wrong, right]) await sns.subscribe(topicArn, 'lambda', fn.arn);
    const deliveries: SnsDelivery[] = [];
    sns.onDelivery((delivery) => deliveries.push(delivery));
    // Act
    sns.publish({ topicArn, message: 'finding' });
    await sns.idle();
    await clock.advance(600_000);
    await sns.close();
    // Assess
    expectOnlyPermittedDelivered({ none, wrong, right }, ({ arn }) =>
      deliveries.find((d) => d.endpoint === arn),
    );
    expect(clock.pendingTimers()).toBe(0);
  });

  it('EventBridge does not invoke a target without a permission for the rule: a failed invocation, not retried', async () => {
    // Prepare
    const clock = new ManualClock();
    const functions = new FunctionRegistry(LOCAL_REGION, ACCOUNT);
    const bridge = new LocalEventBridge({ functions, clock, region: LOCAL_REGION, accountId: ACCOUNT });
    const none = recording(functions, 'no-permission');
    const wrong = recording(functions, 'other-rule');
    const right = recording(functions, 'this-rule');
    allowEventRule(functions, wrong.fn.arn, 'another-rule');
    allowEventRule(functions, right.fn.arn, 'status-change');
    await bridge.putRule({ Name: 'status-change', EventPattern: '{"source":["aws.states"]}' });
    await bridge.putTargets(
      'status-change',
      [none, wrong, right].map(({ fn }) => ({ Id: fn.name, Arn: fn.arn })),
    );
    const deliveries: EventDelivery[] = [];
    bridge.onDelivery((delivery) => deliveries.push(delivery));
    // Act
    bridge.putEvents([
      { Source: 'aws.states', DetailType: 'Step Functions Execution Status Change', Detail: '{}' },
    ]);
    await bridge.idle();
    await clock.advance(600_000);
    await bridge.close();
    // Assess
    expectOnlyPermittedDelivered({ none, wrong, right }, ({ name }) =>
      deliveries.find((d) => d.targetId === name),
    );
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('Invoke by a role session, against its identity-based policies', () => {
  it("refuses a role without lambda:InvokeFunction with AWS's message, and allows it with one", async () => {
    // Prepare
    const functions = new FunctionRegistry(LOCAL_REGION, ACCOUNT);
    const { fn, received } = recording(functions, 'target');
    const without = roleSession('no-invoke', [allowInvokeOf(functions.arnOf('another'))]);
    const withIt = roleSession('invoker', [allowInvokeOf(fn.arn)]);
    const admin = roleSession('admin', [], true);
    // Act
    const refused = await functions
      .invoke(fn.arn, { n: 1 }, { kind: 'principal', principal: without })
      .catch((e: unknown) => e);
    await functions.invoke(fn.arn, { n: 2 }, { kind: 'principal', principal: withIt });
    await functions.invoke('target', { n: 3 }, { kind: 'principal', principal: admin });
    // Assess
    expect(refused).toBeInstanceOf(LambdaInvocationError);
    expect(refused).toMatchObject({
      errorType: 'AccessDeniedException',
      errorMessage: `User: ${without.arn} is not authorized to perform: lambda:InvokeFunction on resource: ${fn.arn} because no identity-based policy allows the lambda:InvokeFunction action`,
    });
    expect(received).toEqual([{ n: 2 }, { n: 3 }]);
  });

  it('refuses an explicit deny, allows a same-account role the resource policy names, and needs both across accounts', async () => {
    // Prepare
    const functions = new FunctionRegistry(LOCAL_REGION, ACCOUNT);
    const { fn } = recording(functions, 'target');
    const denied = roleSession('denied', [
      allowInvokeOf('*'),
      { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'lambda:*', Resource: fn.arn }] },
    ]);
    const named = roleSession('named', []);
    const foreign: Principal = {
      arn: 'arn:aws:sts::111122223333:assumed-role/caller/session',
      roleArn: 'arn:aws:iam::111122223333:role/caller',
      policies: [allowInvokeOf(fn.arn)],
      administrator: false,
    };
    functions.addPermission(fn.arn, {
      statementId: 'named',
      action: INVOKE_ACTION,
      principal: String(named.roleArn),
    });
    // Act
    const explicitDeny = functions.authorize(fn.arn, { kind: 'principal', principal: denied });
    const byResourcePolicy = functions.authorize(fn.arn, { kind: 'principal', principal: named });
    const otherAccount = functions.authorize(fn.arn, { kind: 'principal', principal: foreign });
    // Assess
    expect(explicitDeny).toMatchObject({
      errorType: 'AccessDeniedException',
      errorMessage: `User: ${denied.arn} is not authorized to perform: lambda:InvokeFunction on resource: ${fn.arn} with an explicit deny in an identity-based policy`,
    });
    expect(byResourcePolicy).toBeUndefined();
    expect(otherAccount).toMatchObject({
      errorType: 'AccessDeniedException',
      errorMessage: `User: ${foreign.arn} is not authorized to perform: lambda:InvokeFunction on resource: ${fn.arn} because no resource-based policy allows the lambda:InvokeFunction action`,
    });
  });
});
