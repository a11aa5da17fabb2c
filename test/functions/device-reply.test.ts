import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/event-triggered/device-reply/handler.ts';
import { awaitingAck, awaitingCsr, CSR, runDeviceReply } from './device-reply-fixtures.ts';
import { claimedRecord, clock, lambdaContext, useTable } from './harness.ts';
import { NEW_CERT_ID, NEXT_ROTATION_ID, OLD_CERT_ID, ROTATION_ID, THING } from './rotation-ids.ts';

const table = useTable();
const sfn = new SFNClient({ region: 'us-east-1' });
const sfnMock = mockClient(sfn);

/** Tokens whose wait Step Functions closed: a second answer meets TaskTimedOut, as on AWS. */
let closed: Set<string>;
const closeOnce = (input: { taskToken?: string | undefined }) => {
  const token = input.taskToken ?? '';
  if (closed.has(token)) {
    throw Object.assign(new Error('Task Timed Out: Provided task does not exist anymore'), {
      name: 'TaskTimedOut',
    });
  }
  closed.add(token);
  return {};
};
beforeEach(() => {
  closed = new Set();
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).callsFake(closeOnce);
  sfnMock.on(SendTaskFailureCommand).callsFake(closeOnce);
});

const csrRes = (o: Record<string, unknown> = {}) => ({
  clientId: THING,
  principal: OLD_CERT_ID,
  kind: 'csr_res',
  rotationId: ROTATION_ID,
  CSR,
  ...o,
});

const run = (event: unknown, acceptMissingRotationId = true) =>
  runDeviceReply(event, { store: table.store, sfn }, acceptMissingRotationId);

describe('device-reply: accepted replies', () => {
  it('answers a proper csr_res with the CSR and marks it accepted, the token kept cloud side', async () => {
    // Prepare
    await table.put(awaitingCsr());
    // Act
    const { result, counts } = run(csrRes());
    // Assess
    await expect(result).resolves.toEqual({ outcome: 'accepted', kind: 'csr_res' });
    const call = sfnMock.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(call?.taskToken).toBe('token-csr');
    expect(JSON.parse(call?.output ?? '{}')).toEqual({ rotationId: ROTATION_ID, csr: CSR });
    const record = await table.read(THING);
    expect(record?.phase).toBe('CSR_RECEIVED');
    expect(record?.acceptedReply).toBe(`${ROTATION_ID}/csr_res`);
    expect(record?.taskToken).toBe('token-csr');
    expect(counts).toContain('ReplyAccepted:csr_res');
  });

  it('records proof when crt_ack comes over the new certificate', async () => {
    await table.put(awaitingAck());
    const { result } = run({
      clientId: THING,
      principal: NEW_CERT_ID.toUpperCase(),
      kind: 'crt_ack',
      rotationId: ROTATION_ID,
    });
    await expect(result).resolves.toMatchObject({ outcome: 'accepted' });
    expect(await table.read(THING)).toMatchObject({ phase: 'PROVEN', provenCertificateId: NEW_CERT_ID });
    const output = JSON.parse(sfnMock.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? '{}');
    expect(output).toMatchObject({ rotationId: ROTATION_ID, certificateId: NEW_CERT_ID });
  });

  it('fails the wait with DeviceCertificateError on crt_err over the old certificate', async () => {
    await table.put(awaitingAck());
    const { result } = run({
      clientId: THING,
      principal: OLD_CERT_ID,
      kind: 'crt_err',
      rotationId: ROTATION_ID,
      error: 'TLS handshake failed',
    });
    await expect(result).resolves.toMatchObject({ outcome: 'accepted', kind: 'crt_err' });
    const call = sfnMock.commandCalls(SendTaskFailureCommand)[0]?.args[0].input;
    expect(call).toMatchObject({
      taskToken: 'token-ack',
      error: 'DeviceCertificateError',
      cause: 'TLS handshake failed',
    });
    expect(await table.read(THING)).toMatchObject({
      phase: 'DEVICE_ERROR',
      lastError: 'crt_err: TLS handshake failed',
    });
  });

  it('accepts a bare csr_res without rotationId when leniency allows it', async () => {
    await table.put(awaitingCsr());
    const { result } = run(csrRes({ rotationId: undefined }));
    await expect(result).resolves.toMatchObject({ outcome: 'accepted' });
  });

  it('works through the middy handler with Powertools around it', async () => {
    await table.put(awaitingCsr());
    const handler = createHandler({
      db: table.db,
      tableName: table.tableName,
      sfn,
      clock,
      logLevel: 'SILENT',
    });
    await expect(handler(csrRes(), lambdaContext('device-reply'))).resolves.toMatchObject({
      outcome: 'accepted',
    });
  });
});

describe('device-reply: invariant 3 rejections (each logged and counted, none fails the rotation)', () => {
  it.each([
    ['another client id', awaitingCsr(), csrRes({ clientId: 'sensor-0002' }), 'unknown-thing'],
    ['a client id that is no thing name', awaitingCsr(), csrRes({ clientId: 'bad/name' }), 'unknown-thing'],
    [
      'csr_res over the wrong certificate',
      awaitingCsr(),
      csrRes({ principal: NEW_CERT_ID }),
      'wrong-principal',
    ],
    [
      'crt_ack over the old certificate',
      awaitingAck(),
      { clientId: THING, principal: OLD_CERT_ID, kind: 'crt_ack', rotationId: ROTATION_ID },
      'wrong-principal',
    ],
    [
      'crt_err over the new certificate',
      awaitingAck(),
      { clientId: THING, principal: NEW_CERT_ID, kind: 'crt_err', rotationId: ROTATION_ID, error: 'x' },
      'wrong-principal',
    ],
    ['an old rotationId', awaitingCsr(), csrRes({ rotationId: NEXT_ROTATION_ID }), 'stale-rotation'],
    [
      'crt_ack while a CSR is awaited',
      awaitingCsr(),
      { clientId: THING, principal: NEW_CERT_ID, kind: 'crt_ack', rotationId: ROTATION_ID },
      'wrong-phase',
    ],
    ['a finished rotation', awaitingCsr({ status: 'SUCCEEDED' }), csrRes(), 'not-in-progress'],
    [
      'a wait whose token is gone',
      claimedRecord({ phase: 'AWAITING_CSR', rotationId: ROTATION_ID }),
      csrRes(),
      'wrong-phase',
    ],
    ['a CSR that is not a string', awaitingCsr(), csrRes({ CSR: 42 }), 'malformed'],
    ['an event without principal', awaitingCsr(), { clientId: THING, kind: 'csr_res', CSR }, 'malformed'],
    ['an unknown kind', awaitingCsr(), csrRes({ kind: 'csr_req' }), 'malformed'],
  ])('drops %s', async (_label, record, event, reason) => {
    // Prepare
    await table.put(record);
    // Act
    const { result, counts, lines } = run(event);
    // Assess
    await expect(result).resolves.toMatchObject({ outcome: 'rejected', reason });
    expect(counts).toEqual([`ReplyRejected:${reason}`]);
    expect(lines.join('\n')).toContain(reason);
    expect(sfnMock.calls()).toHaveLength(0);
    expect((await table.read(THING))?.taskToken).toBe(record.taskToken);
  });

  it('drops a reply without rotationId when leniency is off', async () => {
    await table.put(awaitingCsr());
    const { result } = run(csrRes({ rotationId: undefined }), false);
    await expect(result).resolves.toMatchObject({ outcome: 'rejected', reason: 'missing-rotation-id' });
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('drops a reply for a thing with no rotation', async () => {
    const { result } = run(csrRes({ clientId: 'sensor-9999' }));
    await expect(result).resolves.toMatchObject({ outcome: 'rejected', reason: 'unknown-thing' });
  });

  it('never logs the task token or the CSR', async () => {
    await table.put(awaitingCsr());
    const { result, lines } = run(csrRes({ principal: NEW_CERT_ID }));
    await result;
    const text = lines.join('\n');
    expect(text).not.toContain('token-csr');
    expect(text).not.toContain('BEGIN CERTIFICATE REQUEST');
  });
});

describe('device-reply: duplicates and late answers (invariant 8)', () => {
  it('advances the workflow once when the same csr_res arrives twice', async () => {
    // Prepare
    await table.put(awaitingCsr());
    await run(csrRes()).result;
    // Act
    const second = run(csrRes());
    // Assess: the second answer meets the closed wait and the reply is dropped as a duplicate.
    await expect(second.result).resolves.toMatchObject({ outcome: 'rejected', reason: 'duplicate' });
    expect(closed).toEqual(new Set(['token-csr']));
    expect(second.counts).toEqual(['ReplyRejected:duplicate']);
  });

  it('drops a duplicate without asking Step Functions once the workflow moved on', async () => {
    // Prepare: accepted, then the issue step moved the record on.
    await table.put(awaitingCsr());
    await run(csrRes()).result;
    await table.put({ ...awaitingCsr(), phase: 'ISSUING', acceptedReply: `${ROTATION_ID}/csr_res` });
    sfnMock.resetHistory();
    // Act
    const late = run(csrRes());
    // Assess
    await expect(late.result).resolves.toMatchObject({ outcome: 'rejected', reason: 'duplicate' });
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('accepts one of several deliveries racing for the same wait', async () => {
    await table.put(awaitingCsr());
    const outcomes = await Promise.all([run(csrRes()).result, run(csrRes()).result, run(csrRes()).result]);
    expect(outcomes.filter((o) => o.outcome === 'accepted')).toHaveLength(1);
    expect(closed).toEqual(new Set(['token-csr']));
  });

  it('logs, and does not throw, when the wait already timed out', async () => {
    await table.put(awaitingCsr());
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejects(Object.assign(new Error('timed out'), { name: 'TaskTimedOut' }));
    const { result, counts } = run(csrRes());
    await expect(result).resolves.toEqual({ outcome: 'late', kind: 'csr_res', answer: 'TaskTimedOut' });
    expect(counts).toContain('ReplyLate:TaskTimedOut');
  });

  it('logs an InvalidToken answer the same way', async () => {
    await table.put(awaitingAck());
    sfnMock.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('bad'), { name: 'InvalidToken' }));
    const { result } = run({
      clientId: THING,
      principal: NEW_CERT_ID,
      kind: 'crt_ack',
      rotationId: ROTATION_ID,
    });
    await expect(result).resolves.toMatchObject({ outcome: 'late', answer: 'InvalidToken' });
  });

  it('keeps the token and throws when Step Functions is throttled, so the retry answers', async () => {
    // Prepare
    await table.put(awaitingCsr());
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejectsOnce(Object.assign(new Error('slow'), { name: 'ThrottlingException' }))
      .callsFake(closeOnce);
    // Act
    const first = run(csrRes()).result;
    await expect(first).rejects.toMatchObject({ name: 'TransientAwsError' });
    const afterFailure = await table.read(THING);
    const retried = await run(csrRes()).result;
    // Assess
    expect(afterFailure).toMatchObject({ phase: 'CSR_RECEIVED', taskToken: 'token-csr' });
    expect(retried).toEqual({ outcome: 'accepted', kind: 'csr_res' });
    expect(closed).toEqual(new Set(['token-csr']));
  });

  it('drops the repeat of a reply whose wait had timed out', async () => {
    // Prepare
    await table.put(awaitingCsr());
    closed.add('token-csr');
    await expect(run(csrRes()).result).resolves.toMatchObject({ outcome: 'late' });
    // Act
    const repeat = await run(csrRes()).result;
    // Assess
    expect(repeat).toMatchObject({ outcome: 'rejected', reason: 'duplicate' });
  });
});
