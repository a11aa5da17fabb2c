import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { abandonRotation } from '../../cli/rotations/abandon.ts';
import type { Target } from '../../cli/target/target.ts';
import { RotationCompletion } from '../../functions/rotation-steps/retire-certificate/complete-rotation.ts';
import { updateDocument } from '../../functions/shared/document-commands.ts';
import type { Fence, RotationRecord } from '../../functions/shared/rotation-record.ts';
import { bakeSettings, readDefinitionTemplate } from '../../workflows/rotate-device/render.ts';
import { ROTATION_TABLE, STATUS_INDEX_WRITES_PER_ROTATION } from '../../workflows/rotate-device/table.ts';
import { topLevelParts } from './expression-text.ts';
import { startTable, type TableHarness } from './harness.ts';
import { EXECUTION_ARN, NEW_CERT_ID, NEXT_ROTATION_ID, OLD_CERT_ID, ROTATION_ID } from './rotation-ids.ts';

/** What the byStatus index holds of a record: its keys and the attributes it projects. */
const INDEXED: readonly string[] = [
  ROTATION_TABLE.statusIndex.partitionKey.name,
  ROTATION_TABLE.statusIndex.sortKey.name,
  ...ROTATION_TABLE.statusIndex.projection.nonKeyAttributes,
];

/** The attributes an UpdateExpression writes (SET / REMOVE / ADD / DELETE), names resolved. */
function updateTargets(expression: string, names: Readonly<Record<string, string>> = {}): string[] {
  const targets = new Set<string>();
  const pieces = expression.split(/\b(SET|REMOVE|ADD|DELETE)\b/);
  for (let i = 1; i < pieces.length; i += 2) {
    const action = pieces[i];
    for (const part of topLevelParts(pieces[i + 1] ?? '').filter((p) => p !== '')) {
      const path = action === 'SET' ? (part.split('=')[0] ?? '') : (part.split(/\s+/)[0] ?? '');
      const head = path.trim().split(/[.[]/)[0] ?? '';
      targets.add(names[head] ?? head);
    }
  }
  return [...targets].sort();
}

const Captured = z.object({
  UpdateExpression: z.string(),
  ExpressionAttributeNames: z.record(z.string(), z.string()).optional(),
});

let h: TableHarness;
/** The updates the table applied since the last `take()`. */
let sent: z.infer<typeof Captured>[] = [];
const take = (): z.infer<typeof Captured>[] => {
  const out = sent;
  sent = [];
  return out;
};

beforeEach(async () => {
  h = await startTable();
  sent = [];
  // The functions' writes and the CLI's (a document client on a client of its own).
  for (const stack of [h.db.middlewareStack, h.documents.middlewareStack]) {
    stack.add(
      (next) => async (args) => {
        // Only the updates DynamoDB applied: a refused conditional write changes nothing.
        const out = await next(args);
        const parsed = Captured.safeParse(args.input);
        if (parsed.success) sent.push(parsed.data);
        return out;
      },
      { step: 'initialize', name: 'captureUpdates' },
    );
  }
});
afterEach(async () => {
  await h.close();
});

const iso = (minute: number): string => new Date(Date.UTC(2026, 5, 1, 12, minute)).toISOString();
const at = (minute: number): number => Date.parse(iso(minute));

/** ClaimThing's write exactly as the state machine renders it, with its JSONata values filled in. */
async function claim(thingName: string, executionArn: string, minute: number): Promise<void> {
  const asl: unknown = JSON.parse(bakeSettings(readDefinitionTemplate()));
  const args = z
    .object({
      States: z.object({
        ClaimThing: z.object({
          Arguments: z.object({
            UpdateExpression: z.string(),
            ConditionExpression: z.string(),
            ExpressionAttributeNames: z.record(z.string(), z.string()),
            ExpressionAttributeValues: z.record(
              z.string(),
              z.union([z.object({ S: z.string() }), z.object({ N: z.string() })]),
            ),
          }),
        }),
      }),
    })
    .parse(asl).States.ClaimThing.Arguments;
  const filled: Record<string, string> = {
    ':executionArn': executionArn,
    ':oldCertificateId': OLD_CERT_ID,
    ':campaign': 'audit-1',
    ':now': iso(minute),
  };
  const values = Object.fromEntries(
    Object.entries(args.ExpressionAttributeValues).map(([key, value]) => {
      if ('N' in value) return [key, Number(value.N)];
      if (!value.S.startsWith('{%')) return [key, value.S];
      const given = filled[key];
      if (given === undefined) throw new Error(`no test value for the claim's ${key}`);
      return [key, given];
    }),
  );
  await h.db.send(
    updateDocument({
      TableName: h.tableName,
      Key: { thingName },
      UpdateExpression: args.UpdateExpression,
      ConditionExpression: args.ConditionExpression,
      ExpressionAttributeNames: args.ExpressionAttributeNames,
      ExpressionAttributeValues: values,
    }),
  );
}

interface Step {
  readonly name: string;
  /** The record's status before and after the step. */
  readonly statusBefore: string | undefined;
  readonly statusAfter: string | undefined;
  /** Did statusSince move? */
  readonly sinceMoved: boolean;
  /** What each update of the step writes among the index's attributes (one list per update sent). */
  readonly indexedTargets: string[][];
  /** Index writes DynamoDB makes for the step: a put for a new entry, a delete and a put for a moved one. */
  readonly indexWrites: number;
}

const indexed = (record: RotationRecord | undefined): string | undefined =>
  record?.statusSince === undefined ? undefined : `${record.status}|${record.statusSince}|${record.campaign}`;

async function step(thingName: string, name: string, act: () => Promise<unknown>): Promise<Step> {
  const before = await h.read(thingName);
  take();
  await act();
  const updates = take();
  const after = await h.read(thingName);
  const entryBefore = indexed(before);
  const entryAfter = indexed(after);
  const keyBefore = before?.statusSince === undefined ? undefined : `${before.status}|${before.statusSince}`;
  const keyAfter = after?.statusSince === undefined ? undefined : `${after.status}|${after.statusSince}`;
  let indexWrites = 0;
  if (entryBefore !== entryAfter) {
    if (keyBefore !== undefined && keyAfter !== undefined && keyBefore !== keyAfter) indexWrites = 2;
    else indexWrites = 1;
  }
  return {
    name,
    statusBefore: before?.status,
    statusAfter: after?.status,
    sinceMoved: before?.statusSince !== after?.statusSince,
    indexedTargets: updates.map((u) =>
      updateTargets(u.UpdateExpression, u.ExpressionAttributeNames).filter((t) => INDEXED.includes(t)),
    ),
    indexWrites,
  };
}

const fence = (thingName: string): Fence => ({
  thingName,
  executionArn: EXECUTION_ARN,
  rotationId: ROTATION_ID,
});

describe('the expression parser of this test', () => {
  it('finds the targets of every action, with names resolved and function operands kept whole', () => {
    expect(
      updateTargets(
        'SET #s = :s, a.b = list_append(if_not_exists(x, :n), :l), c[1] = :c REMOVE d, #e ADD f :one',
        {
          '#s': 'status',
          '#e': 'e',
        },
      ),
    ).toEqual(['a', 'c', 'd', 'e', 'f', 'status']);
  });
});

describe('which writes of a rotation touch the byStatus index', () => {
  it('on the happy path: only the claim and the completion, which set status and statusSince together', async () => {
    // Prepare
    const thing = 'happy-1';
    const store = h.store;
    const f = fence(thing);
    // Act
    const steps: Step[] = [
      await step(thing, 'claim', () => claim(thing, EXECUTION_ARN, 0)),
      await step(thing, 'awaitReply CSR', () =>
        store.awaitReplyReturningPrevious({
          fence: f,
          phase: 'AWAITING_CSR',
          taskToken: 't1',
          attempt: 1,
          now: at(1),
        }),
      ),
      await step(thing, 'markCsrRequestUnsent', () =>
        store.markCsrRequestUnsent({ fence: f, attempt: 1, now: at(2) }),
      ),
      await step(thing, 'markParked', () => store.markParked({ fence: f, now: at(2) })),
      await step(thing, 'acceptPendingReply csr_res', () =>
        store.acceptPendingReply({
          thingName: thing,
          rotationId: ROTATION_ID,
          kind: 'csr_res',
          principal: OLD_CERT_ID,
          now: at(3),
        }),
      ),
      await step(thing, 'recordError', () => store.recordError({ fence: f, error: 'x', now: at(3) })),
      await step(thing, 'markIssuing', () =>
        store.markIssuing({ fence: f, keyFingerprint: 'fp', now: at(4) }),
      ),
      await step(thing, 'clearIssuing', () => store.clearIssuing({ fence: f, now: at(4) })),
      await step(thing, 'markIssuing again', () =>
        store.markIssuing({ fence: f, keyFingerprint: 'fp', oldCertificateId: OLD_CERT_ID, now: at(5) }),
      ),
      await step(thing, 'recordIssued', () =>
        store.recordIssued({
          fence: f,
          certificateId: NEW_CERT_ID,
          certificateArn: `arn:aws:iot:us-east-1:000000000000:cert/${NEW_CERT_ID}`,
          certificatePem: 'PEM',
          copying: { fromCertificateArn: 'arn:old', policyNames: ['p'] },
          now: at(6),
        }),
      ),
      await step(thing, 'setPhase ISSUED', () =>
        store.setPhase({ fence: f, phase: 'ISSUED', set: { lastError: 'none' }, now: at(6) }),
      ),
      await step(thing, 'awaitReply ACK', () =>
        store.awaitReply({ fence: f, phase: 'AWAITING_ACK', taskToken: 't2', now: at(7) }),
      ),
      await step(thing, 'acceptReply crt_ack', () =>
        store.acceptReply({
          thingName: thing,
          rotationId: ROTATION_ID,
          kind: 'crt_ack',
          taskToken: 't2',
          set: { provenAt: iso(8), provenCertificateId: NEW_CERT_ID },
          now: at(8),
        }),
      ),
      await step(thing, 'complete', () =>
        new RotationCompletion(h.db, h.tableName).complete({ fence: f, now: at(9), retentionSeconds: 60 }),
      ),
      await step(thing, 'markEscalated', () =>
        store.markEscalated({ thingName: thing, executionArn: EXECUTION_ARN, now: at(10) }),
      ),
    ];
    // Assess: every step ran (it wrote), and only the status changes write the index's attributes.
    expect(steps.every((s) => s.indexedTargets.length >= 1)).toBe(true);
    const touching = steps.filter((s) => s.indexedTargets.some((t) => t.length > 0)).map((s) => s.name);
    expect(touching).toEqual(['claim', 'complete']);
    expect(steps.find((s) => s.name === 'claim')?.indexedTargets).toEqual([
      ['campaign', 'status', 'statusSince'],
    ]);
    expect(steps.find((s) => s.name === 'complete')?.indexedTargets).toEqual([['status', 'statusSince']]);
    for (const s of steps) expect(s.sinceMoved, s.name).toBe(s.statusBefore !== s.statusAfter);
    expect(steps.map((s) => s.statusAfter).at(-1)).toBe('SUCCEEDED');
    // A put when the claim sets IN_PROGRESS, a delete and a put when the rotation ends.
    expect(steps.map((s) => s.indexWrites)).toEqual(
      steps.map((s) => (s.name === 'claim' ? 1 : s.name === 'complete' ? 2 : 0)),
    );
    expect(steps.reduce((n, s) => n + s.indexWrites, 0)).toBe(STATUS_INDEX_WRITES_PER_ROTATION);
  });

  it('on failure, redrive and abandon: the outcome, the resumed step and the abandon move status and statusSince', async () => {
    // Prepare
    const thing = 'failing-1';
    const store = h.store;
    const f = fence(thing);
    const next: Fence = { ...f, rotationId: NEXT_ROTATION_ID };
    await claim(thing, EXECUTION_ARN, 0);
    await store.awaitReply({ fence: f, phase: 'AWAITING_CSR', taskToken: 't1', attempt: 1, now: at(1) });
    await store.markIssuing({ fence: f, keyFingerprint: 'fp', now: at(2) });
    await store.recordIssued({
      fence: f,
      certificateId: NEW_CERT_ID,
      certificateArn: 'arn:new',
      certificatePem: 'PEM',
      copying: { fromCertificateArn: 'arn:old', policyNames: [] },
      now: at(3),
    });
    const sfn = new SFNClient({ region: 'us-east-1' });
    const sfnMock = mockClient(sfn);
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'ExecutionDoesNotExist' }));
    const target: Target = {
      kind: 'local',
      resources: {
        region: 'us-east-1',
        stateMachineArn: 'arn:sm',
        rotationTableName: h.tableName,
        escalationTopicArn: 'arn:topic',
        auditTopicArn: 'arn:audit',
      },
      sfn,
      iot: new IoTClient({ region: 'us-east-1' }),
      dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
      db: h.documents,
      consoleLink: () => undefined,
      close: () => undefined,
    };
    const outcome = (minute: number) =>
      store.recordOutcome({
        thingName: thing,
        executionArn: EXECUTION_ARN,
        status: 'FAILED',
        cause: 'DeviceUnreachable',
        now: at(minute),
        retentionSeconds: 60,
      });
    // Act
    const steps: Step[] = [
      await step(thing, 'recordRevoked', () =>
        store.recordRevoked({ fence: f, certificateId: NEW_CERT_ID, reason: 'crt_err', now: at(4) }),
      ),
      await step(thing, 'recordOutcome FAILED', () => outcome(5)),
      await step(thing, 'recordOutcome repeated', async () => expect(await outcome(6)).toBeDefined()),
      await step(thing, 'markEscalated', () =>
        store.markEscalated({ thingName: thing, executionArn: EXECUTION_ARN, now: at(6) }),
      ),
      await step(thing, 'redriven: setPhase', () =>
        store.setPhase({ fence: f, phase: 'AWAITING_CSR', now: at(7) }),
      ),
      await step(thing, 'awaitReply, a new attempt', () =>
        store.awaitReply({ fence: next, phase: 'AWAITING_CSR', taskToken: 't3', attempt: 2, now: at(8) }),
      ),
      await step(thing, 'recordOutcome ABORTED', () =>
        store.recordOutcome({
          thingName: thing,
          executionArn: EXECUTION_ARN,
          status: 'ABORTED',
          cause: 'stopped',
          now: at(9),
          retentionSeconds: 60,
        }),
      ),
      await step(thing, 'redriven: markIssuing', () =>
        store.markIssuing({ fence: next, keyFingerprint: 'fp2', now: at(10) }),
      ),
    ];
    const record = await h.read(thing);
    if (!record) throw new Error('no record');
    steps.push(await step(thing, 'abandon', () => abandonRotation(target, record, at(11))));
    // Steps of the stopped execution still running can neither revive nor fill the abandoned record.
    steps.push(
      await step(thing, 'late markIssuing', async () =>
        expect((await store.markIssuing({ fence: next, keyFingerprint: 'fp3', now: at(12) })).written).toBe(
          false,
        ),
      ),
      await step(thing, 'late recordIssued', async () =>
        expect(
          await store.recordIssued({
            fence: next,
            certificateId: 'late-certificate',
            certificateArn: 'arn:late',
            certificatePem: 'PEM',
            copying: { fromCertificateArn: 'arn:old', policyNames: [] },
            now: at(12),
          }),
        ).toBe(false),
      ),
    );
    // Assess
    expect(steps.map((s) => [s.name, s.statusAfter])).toEqual([
      ['recordRevoked', 'IN_PROGRESS'],
      ['recordOutcome FAILED', 'FAILED'],
      ['recordOutcome repeated', 'FAILED'],
      ['markEscalated', 'FAILED'],
      ['redriven: setPhase', 'IN_PROGRESS'],
      ['awaitReply, a new attempt', 'IN_PROGRESS'],
      ['recordOutcome ABORTED', 'ABORTED'],
      ['redriven: markIssuing', 'IN_PROGRESS'],
      ['abandon', 'ABANDONED'],
      ['late markIssuing', 'ABANDONED'],
      ['late recordIssued', 'ABANDONED'],
    ]);
    const final = await h.read(thing);
    expect(final?.newCertificateId).toBeUndefined();
    for (const s of steps) {
      expect(s.sinceMoved, s.name).toBe(s.statusBefore !== s.statusAfter);
      // The write that changed the status is the last one of the step, and it set both.
      const last = s.indexedTargets.at(-1) ?? [];
      if (s.statusBefore !== s.statusAfter) expect(last, s.name).toEqual(['status', 'statusSince']);
      else expect(s.indexedTargets.flat(), s.name).toEqual([]);
    }
    // A repeated outcome is read, not written: the index entry stays.
    expect(steps.find((s) => s.name === 'recordOutcome repeated')?.indexedTargets).toEqual([]);
    expect(final?.statusSince).toBe(iso(11));
    expect(final?.completedAt).toBe(iso(11));
  });
});
