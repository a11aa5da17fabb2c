import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RotationRecordStore, type WriteOutcome } from '../../functions/shared/rotation-record.ts';
import { awaitingAck, awaitingCsr, CSR, runDeviceReply } from './device-reply-fixtures.ts';
import { claimedRecord, clock, useTable } from './harness.ts';
import { NEW_CERT_ID, OLD_CERT_ID, ROTATION_ID, THING } from './rotation-ids.ts';

/**
 * The invocation of device-reply dies (Lambda timeout, process killed) at each point between its
 * record write and Step Functions hearing the answer; the rule's retry of the same reply (or the
 * device's QoS 1 redelivery) must then complete the wait, once.
 */

const table = useTable();
const sfn = new SFNClient({ region: 'us-east-1' });
const sfnMock = mockClient(sfn);

/** Nothing after this runs in the dying invocation. */
class InvocationKilled extends Error {
  constructor() {
    super('the invocation ended (timeout or killed process)');
    this.name = 'InvocationKilled';
  }
}

/**
 * A store whose process dies right after the reply's record write landed: the one-write acceptance
 * of the happy path, or the acceptance after a read (a reply without rotationId).
 */
class DyingAfterAccept extends RotationRecordStore {
  override async acceptPendingReply(
    p: Parameters<RotationRecordStore['acceptPendingReply']>[0],
  ): Promise<WriteOutcome> {
    const outcome = await super.acceptPendingReply(p);
    if (outcome.written) throw new InvocationKilled();
    return outcome;
  }
  override async acceptReply(p: Parameters<RotationRecordStore['acceptReply']>[0]): Promise<boolean> {
    await super.acceptReply(p);
    throw new InvocationKilled();
  }
}

/** What Step Functions was told, per token; a closed wait answers TaskTimedOut, as on AWS. */
let answers: Map<string, string>;
function answer(kind: string, killAfter = false) {
  return (input: {
    taskToken?: string | undefined;
    output?: string | undefined;
    error?: string | undefined;
  }) => {
    const token = input.taskToken ?? '';
    if (answers.has(token)) {
      throw Object.assign(new Error('Task Timed Out: Provided task does not exist anymore'), {
        name: 'TaskTimedOut',
      });
    }
    answers.set(token, `${kind}:${input.output ?? input.error ?? ''}`);
    // The wait closed, but the invocation died before the response reached it.
    if (killAfter) throw new InvocationKilled();
    return {};
  };
}

beforeEach(() => {
  answers = new Map();
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).callsFake(answer('success'));
  sfnMock.on(SendTaskFailureCommand).callsFake(answer('failure'));
});

const csrRes = { clientId: THING, principal: OLD_CERT_ID, kind: 'csr_res', rotationId: ROTATION_ID, CSR };
const crtAck = { clientId: THING, principal: NEW_CERT_ID, kind: 'crt_ack', rotationId: ROTATION_ID };
const crtErr = {
  clientId: THING,
  principal: OLD_CERT_ID,
  kind: 'crt_err',
  rotationId: ROTATION_ID,
  error: 'TLS handshake failed',
};

const deliver = (event: unknown, store: RotationRecordStore = table.store) =>
  runDeviceReply(event, { store, sfn });

const dying = () => new DyingAfterAccept(table.db, table.tableName);

describe('device-reply: an invocation that dies after its record write', () => {
  it('csr_res: Step Functions never heard it; the redelivered reply answers with the CSR', async () => {
    // Prepare
    await table.put(awaitingCsr());
    // Act
    const crashed = deliver(csrRes, dying()).result;
    await expect(crashed).rejects.toBeInstanceOf(InvocationKilled);
    const afterCrash = await table.read(THING);
    const callsAfterCrash = sfnMock.calls().length;
    const redelivered = deliver(csrRes);
    // Assess
    expect(callsAfterCrash).toBe(0);
    expect(afterCrash).toMatchObject({ phase: 'CSR_RECEIVED', taskToken: 'token-csr' });
    await expect(redelivered.result).resolves.toEqual({ outcome: 'accepted', kind: 'csr_res' });
    expect([...answers]).toEqual([
      ['token-csr', `success:${JSON.stringify({ rotationId: ROTATION_ID, csr: CSR })}`],
    ]);
    expect(redelivered.counts).toEqual(['ReplyAnsweredAgain:csr_res', 'ReplyAccepted:csr_res']);
  });

  it('crt_ack: the redelivered ack answers with the proof time recorded at acceptance', async () => {
    // Prepare
    await table.put(awaitingAck());
    await expect(deliver(crtAck, dying()).result).rejects.toBeInstanceOf(InvocationKilled);
    const recorded = await table.read(THING);
    // Act
    const redelivered = await deliver(crtAck).result;
    // Assess
    expect(recorded).toMatchObject({ phase: 'PROVEN', provenCertificateId: NEW_CERT_ID });
    expect(redelivered).toEqual({ outcome: 'accepted', kind: 'crt_ack' });
    expect(JSON.parse((answers.get('token-ack') ?? '').slice('success:'.length))).toEqual({
      rotationId: ROTATION_ID,
      certificateId: NEW_CERT_ID,
      provenAt: recorded?.provenAt,
    });
  });

  it('a bare csr_res (no rotationId): the redelivered reply answers with the CSR', async () => {
    // Prepare
    await table.put(awaitingCsr());
    const bare = { ...csrRes, rotationId: undefined };
    await expect(deliver(bare, dying()).result).rejects.toBeInstanceOf(InvocationKilled);
    const afterCrash = await table.read(THING);
    // Act
    const redelivered = await deliver(bare).result;
    // Assess
    expect(afterCrash).toMatchObject({ phase: 'CSR_RECEIVED', acceptedReply: `${ROTATION_ID}/csr_res` });
    expect(redelivered).toEqual({ outcome: 'accepted', kind: 'csr_res' });
    expect([...answers.keys()]).toEqual(['token-csr']);
  });

  it('crt_err: the redelivered error fails the wait with DeviceCertificateError', async () => {
    // Prepare
    await table.put(awaitingAck());
    await expect(deliver(crtErr, dying()).result).rejects.toBeInstanceOf(InvocationKilled);
    // Act
    const redelivered = await deliver(crtErr).result;
    // Assess
    expect(redelivered).toEqual({ outcome: 'accepted', kind: 'crt_err' });
    expect(answers.get('token-ack')).toBe('failure:DeviceCertificateError');
    expect(await table.read(THING)).toMatchObject({ phase: 'DEVICE_ERROR' });
  });

  it('a crt_ack after an accepted crt_err answers nothing: one wait takes one kind of reply', async () => {
    // Prepare
    await table.put(awaitingAck());
    await expect(deliver(crtErr, dying()).result).rejects.toBeInstanceOf(InvocationKilled);
    // Act
    const ack = await deliver(crtAck).result;
    // Assess
    expect(ack).toMatchObject({ outcome: 'rejected' });
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('the redelivery is held to invariant 3 again: over the wrong certificate it answers nothing', async () => {
    // Prepare
    await table.put(awaitingCsr());
    await expect(deliver(csrRes, dying()).result).rejects.toBeInstanceOf(InvocationKilled);
    // Act
    const forged = await deliver({ ...csrRes, principal: NEW_CERT_ID }).result;
    // Assess
    expect(forged).toMatchObject({ outcome: 'rejected', reason: 'wrong-principal' });
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('a new wait (the request sent again after a timeout) takes the redelivered reply with its own token', async () => {
    // Prepare: accepted and lost, then request-csr stored a fresh token for the same rotation.
    await table.put(awaitingCsr());
    await expect(deliver(csrRes, dying()).result).rejects.toBeInstanceOf(InvocationKilled);
    await table.store.awaitReply({
      fence: { thingName: THING, executionArn: claimedRecord().executionArn, rotationId: ROTATION_ID },
      phase: 'AWAITING_CSR',
      taskToken: 'token-csr-2',
      attempt: 1,
      now: clock.now(),
    });
    // Act
    const redelivered = await deliver(csrRes).result;
    // Assess
    expect(redelivered).toEqual({ outcome: 'accepted', kind: 'csr_res' });
    expect([...answers.keys()]).toEqual(['token-csr-2']);
  });
});

describe('device-reply: an invocation that dies after Step Functions heard the answer', () => {
  it('the redelivered reply meets the closed wait and is dropped as a duplicate: one answer', async () => {
    // Prepare
    await table.put(awaitingCsr());
    sfnMock.on(SendTaskSuccessCommand).callsFakeOnce(answer('success', true)).callsFake(answer('success'));
    await expect(deliver(csrRes).result).rejects.toBeInstanceOf(InvocationKilled);
    // Act
    const redelivered = deliver(csrRes);
    // Assess
    await expect(redelivered.result).resolves.toMatchObject({ outcome: 'rejected', reason: 'duplicate' });
    expect(answers.size).toBe(1);
    expect(redelivered.counts).toEqual(['ReplyRejected:duplicate']);
    expect(redelivered.lines.join('\n')).toContain('TaskTimedOut');
  });

  it('a duplicate delivered after the accepted reply completed is dropped the same way', async () => {
    // Prepare
    await table.put(awaitingAck());
    await expect(deliver(crtAck).result).resolves.toMatchObject({ outcome: 'accepted' });
    // Act
    const duplicates = await Promise.all([deliver(crtAck).result, deliver(crtAck).result]);
    // Assess
    expect(duplicates.map((d) => d.outcome)).toEqual(['rejected', 'rejected']);
    expect(answers.size).toBe(1);
  });
});
