import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidDefinition,
  InvalidName,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  RedriveExecutionCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import type { StatusChangeEvent } from '../../../local/stepfunctions/engine.ts';
import {
  callbackTask,
  createMachine,
  type Harness,
  history,
  oneTask,
  parsed,
  ROLE,
  start,
  startHarness,
  waitForEnd,
  waitForEvent,
} from './harness.ts';

const PASS = { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } };

describe('the Step Functions API over awsJson1_0', () => {
  let h: Harness;
  const post = (target: string | undefined, body: string) =>
    fetch(h.local.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        ...(target ? { 'x-amz-target': target } : {}),
      },
      body,
    });
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers garbage JSON, unknown operations and oversized bodies with AWS-shaped errors and keeps serving', async () => {
    const garbage = await post('AWSStepFunctions.StartExecution', '{"stateMachineArn": ');
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ __type: 'SerializationException' });
    const unknown = await post('AWSStepFunctions.DoSomethingElse', '{}');
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const none = await post(undefined, '{}');
    expect(none.status).toBe(400);
    const big = await post('AWSStepFunctions.ListStateMachines', `{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`);
    expect(big.status).toBe(413);
    const notObject = await post('AWSStepFunctions.ListStateMachines', '[1,2]');
    expect(await notObject.json()).toMatchObject({ __type: 'SerializationException' });
    expect((await h.sfn.send(new ListStateMachinesCommand({}))).stateMachines).toBeDefined();
  });

  it('validates ARNs, names and definitions with AWS exception names', async () => {
    await expect(
      h.sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:nope' })),
    ).rejects.toBeInstanceOf(InvalidArn);
    await expect(
      h.sfn.send(
        new DescribeExecutionCommand({
          executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:missing',
        }),
      ),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(
      h.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:missing',
        }),
      ),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      h.sfn.send(
        new CreateStateMachineCommand({ name: 'has space', definition: JSON.stringify(PASS), roleArn: ROLE }),
      ),
    ).rejects.toBeInstanceOf(InvalidName);
    const invalid = h.sfn.send(
      new CreateStateMachineCommand({
        name: 'bad',
        definition: JSON.stringify({ StartAt: 'X', States: { A: { Type: 'Pass', End: true } } }),
        roleArn: ROLE,
      }),
    );
    await expect(invalid).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(invalid).rejects.toThrow(/X/);
    await expect(
      h.sfn.send(new CreateStateMachineCommand({ name: 'bad2', definition: '{oops', roleArn: ROLE })),
    ).rejects.toBeInstanceOf(InvalidDefinition);
  });

  it('creates, describes, updates, lists and deletes state machines', async () => {
    const arn = await createMachine(h, PASS, 'lifecycle');
    const described = await h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    expect([described.name, described.type, described.status, described.roleArn]).toEqual([
      'lifecycle',
      'STANDARD',
      'ACTIVE',
      ROLE,
    ]);
    expect(described.creationDate).toBeInstanceOf(Date);
    const next = { StartAt: 'B', States: { B: { Type: 'Pass', Result: 2, End: true } } };
    const updated = await h.sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn: arn, definition: JSON.stringify(next) }),
    );
    expect(updated.updateDate).toBeInstanceOf(Date);
    expect(
      JSON.parse(
        (await h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))).definition ?? '',
      ),
    ).toEqual(next);
    expect((await h.sfn.send(new ListStateMachinesCommand({}))).stateMachines?.map((m) => m.name)).toContain(
      'lifecycle',
    );
    await h.sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
    await expect(
      h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });

  it('StartExecution is idempotent for the same name and input while running, and refuses a different input', async () => {
    const arn = await createMachine(h, {
      StartAt: 'W',
      States: { W: { Type: 'Wait', Seconds: 60, End: true } },
    });
    const first = await h.sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: 'rot-1', input: '{"a":1}' }),
    );
    const again = await h.sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: 'rot-1', input: '{"a":1}' }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());
    await expect(
      h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'rot-1', input: '{"a":2}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await h.sfn.send(
      new StopExecutionCommand({ executionArn: first.executionArn, error: 'Operator', cause: 'test' }),
    );
    const stopped = await h.sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect([stopped.status, stopped.error, stopped.cause]).toEqual(['ABORTED', 'Operator', 'test']);
    await expect(
      h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'rot-1', input: '{"a":1}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('ListExecutions filters by status and pages; GetExecutionHistory pages and reverses', async () => {
    const arn = await createMachine(h, {
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'S' }], Default: 'F' },
        S: { Type: 'Succeed' },
        F: { Type: 'Fail', Error: 'No' },
      },
    });
    const arns: string[] = [];
    for (let i = 0; i < 5; i++) arns.push(await start(h, arn, { ok: i % 2 === 0 }));
    for (const a of arns) await waitForEnd(h, a);
    const succeeded = await h.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'SUCCEEDED' }),
    );
    expect(succeeded.executions).toHaveLength(3);
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await h.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: arn,
          maxResults: 2,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      expect((page.executions ?? []).length).toBeLessThanOrEqual(2);
      seen.push(...(page.executions ?? []).map((e) => e.executionArn ?? ''));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(new Set(seen)).toEqual(new Set(arns));
    const full = await history(h, arns[0] ?? '');
    const firstPage = await h.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: arns[0], maxResults: 2, reverseOrder: true }),
    );
    expect(firstPage.events?.map((e) => e.id)).toEqual([full.at(-1)?.id, full.at(-2)?.id]);
    expect(firstPage.nextToken).toBeDefined();
    expect(full.every((e, i) => e.id === i + 1 && e.timestamp instanceof Date)).toBe(true);
    const noData = await h.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: arns[0], includeExecutionData: false }),
    );
    expect(noData.events?.[0]?.executionStartedEventDetails?.input).toBeUndefined();
  });

  it('reports billed transitions through RecertLocal.GetBilling', async () => {
    const arn = await createMachine(h, {
      StartAt: 'A',
      States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'C' }, C: { Type: 'Succeed' } },
    });
    const exec = await start(h, arn);
    await waitForEnd(h, exec);
    const res = await post('RecertLocal.GetBilling', JSON.stringify({ executionArn: exec }));
    expect(await res.json()).toMatchObject({ billedStateTransitions: 3, costUsd: 0.000075 });
  });
});

describe('redrive and status-change events', () => {
  let h: Harness;
  let clock: ManualClock;
  const events: StatusChangeEvent[] = [];
  let attempt = 0;
  beforeAll(async () => {
    clock = new ManualClock(Date.UTC(2026, 3, 1));
    h = await startHarness({ clock });
    h.local.engine.onStatusChange((e) => events.push(e));
    h.functions.register('issue', async () => {
      attempt++;
      if (attempt === 1) throw Object.assign(new Error('CA unavailable'), { name: 'IssuerDown' });
      return { certificateId: 'c-1' };
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('resumes a failed execution at the failed state with the same ARN and counts the redrive', async () => {
    const arn = await createMachine(h, {
      StartAt: 'Claim',
      States: {
        Claim: { Type: 'Pass', Result: 'claimed', ResultPath: '$.claim', Next: 'Issue' },
        Issue: { Type: 'Task', Resource: h.functions.arnOf('issue'), ResultPath: '$.issued', Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    });
    const exec = await start(h, arn, { thing: 't1' });
    const failed = await waitForEnd(h, exec);
    expect([failed.status, failed.error, failed.redriveStatus]).toEqual([
      'FAILED',
      'IssuerDown',
      'REDRIVABLE',
    ]);
    await h.sfn.send(new RedriveExecutionCommand({ executionArn: exec }));
    const done = await waitForEnd(h, exec);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.redriveCount).toBe(1);
    expect(parsed(done.output)).toEqual({ thing: 't1', claim: 'claimed', issued: { certificateId: 'c-1' } });
    const types = (await history(h, exec)).map((e) => e.type);
    expect(types.filter((t) => t === 'PassStateEntered')).toHaveLength(1); // Claim ran once
    expect(types).toContain('ExecutionRedriven');
    expect(types.filter((t) => t === 'TaskStateEntered')).toHaveLength(2);
    // Status events: RUNNING, FAILED, RUNNING (redriven), SUCCEEDED, in the EventBridge shape.
    await waitForEvent(h, exec, () => events.filter((e) => e.detail.executionArn === exec).length >= 4);
    const mine = events.filter((e) => e.detail.executionArn === exec);
    expect(mine.map((e) => e.detail.status)).toEqual(['RUNNING', 'FAILED', 'RUNNING', 'SUCCEEDED']);
    expect(mine[1]).toMatchObject({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      resources: [exec],
      detail: { error: 'IssuerDown', stateMachineArn: arn, name: exec.split(':').pop(), redriveCount: 0 },
    });
    expect(mine[3]?.detail.redriveCount).toBe(1);
    await expect(h.sfn.send(new RedriveExecutionCommand({ executionArn: exec }))).rejects.toBeInstanceOf(
      ExecutionNotRedrivable,
    );
  });

  it('refuses to redrive more than 14 days after the execution stopped', async () => {
    const arn = await createMachine(h, { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'E' } } });
    const exec = await start(h, arn);
    await waitForEnd(h, exec);
    await clock.advance(14 * 24 * 3600 * 1000 + 1000);
    const d = await h.sfn.send(new DescribeExecutionCommand({ executionArn: exec }));
    expect(d.redriveStatus).toBe('NOT_REDRIVABLE');
    await expect(h.sfn.send(new RedriveExecutionCommand({ executionArn: exec }))).rejects.toBeInstanceOf(
      ExecutionNotRedrivable,
    );
  });

  it('redrives a Map by rerunning only the iterations that did not succeed', async () => {
    let calls = 0;
    const seen: number[] = [];
    h.functions.register('item', async (event) => {
      calls++;
      const n = typeof event === 'number' ? event : -1;
      seen.push(n);
      if (n === 2 && calls <= 2) throw Object.assign(new Error('no'), { name: 'ItemFailed' });
      return n * 10;
    });
    const arn = await createMachine(h, {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          MaxConcurrency: 1,
          ItemProcessor: {
            StartAt: 'T',
            States: { T: { Type: 'Task', Resource: h.functions.arnOf('item'), End: true } },
          },
          End: true,
        },
      },
    });
    const exec = await start(h, arn, [1, 2, 3]);
    expect((await waitForEnd(h, exec)).status).toBe('FAILED');
    await h.sfn.send(new RedriveExecutionCommand({ executionArn: exec }));
    const done = await waitForEnd(h, exec);
    expect(done.status).toBe('SUCCEEDED');
    expect(parsed(done.output)).toEqual([10, 20, 30]);
    expect(seen).toEqual([1, 2, 2, 3]);
  });

  it('stopping an execution aborts its task (TaskStateAborted, ExecutionAborted) and closes its token', async () => {
    let token = '';
    h.functions.register('hold', async (event) => {
      if (typeof event === 'object' && event !== null && 't' in event && typeof event.t === 'string')
        token = event.t;
      return {};
    });
    const arn = await createMachine(h, oneTask(callbackTask('hold', 't')));
    const exec = await start(h, arn);
    await waitForEvent(h, exec, (ev) => ev.some((e) => e.type === 'TaskSubmitted'));
    await h.sfn.send(new StopExecutionCommand({ executionArn: exec }));
    await expect(
      h.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
    const types = (await history(h, exec)).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['TaskStateAborted', 'ExecutionAborted']);
  });
});
