import { readFileSync } from 'node:fs';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handleDeviceReply } from '../../functions/device-reply/device-reply.ts';
import type { RotationRecord } from '../../functions/shared/rotation-record.ts';
import {
  claimedRecord,
  clock,
  EXECUTION_ARN,
  NEW_CERT_ID,
  OLD_CERT_ID,
  OTHER_EXECUTION_ARN,
  ROTATION_ID,
  recorders,
  startTable,
  type TableHarness,
  THING,
} from './harness.ts';

const CSR = readFileSync(new URL('../fixtures/csr/ok-ec-p256.csr.pem', import.meta.url), 'utf8');
let table: TableHarness;
const sfn = new SFNClient({ region: 'us-east-1' });
const sfnMock = mockClient(sfn);

beforeAll(async () => {
  table = await startTable();
});
afterAll(async () => {
  await table.close();
});
beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
});

const awaitingCsr = (o: Partial<RotationRecord> = {}) =>
  claimedRecord({ phase: 'AWAITING_CSR', rotationId: ROTATION_ID, taskToken: 'token-csr', ...o });
const awaitingAck = (o: Partial<RotationRecord> = {}) =>
  claimedRecord({
    phase: 'AWAITING_ACK',
    rotationId: ROTATION_ID,
    taskToken: 'token-ack',
    newCertificateId: NEW_CERT_ID,
    newCertificateRotationId: ROTATION_ID,
    ...o,
  });
const csrRes = (rotationId?: string) => ({
  clientId: THING,
  principal: OLD_CERT_ID,
  kind: 'csr_res',
  CSR,
  ...(rotationId ? { rotationId } : {}),
});
const crtAck = (rotationId?: string) => ({
  clientId: THING,
  principal: NEW_CERT_ID,
  kind: 'crt_ack',
  ...(rotationId ? { rotationId } : {}),
});

function reply(event: unknown) {
  const r = recorders();
  return handleDeviceReply(event, {
    store: table.store,
    sfn,
    clock,
    log: r.log,
    counter: r.counter,
    acceptMissingRotationId: true,
  });
}

describe('device-reply: the record says which replies came without rotationId (blog-compatible mode)', () => {
  it('records each kind accepted without rotationId, in the write that accepts it', async () => {
    // Prepare
    await table.put(awaitingCsr());

    // Act
    const csr = await reply(csrRes());
    const afterCsr = await table.read(THING);
    // The workflow's issue step moves the record on to the ack wait; the list stays in it.
    const kept = afterCsr?.acceptedWithoutRotationId;
    await table.put(awaitingAck(kept ? { acceptedWithoutRotationId: kept } : {}));
    const ack = await reply(crtAck());

    // Assess
    expect(csr).toEqual({ outcome: 'accepted', kind: 'csr_res' });
    expect(afterCsr).toMatchObject({
      phase: 'CSR_RECEIVED',
      acceptedReply: `${ROTATION_ID}/csr_res`,
      acceptedWithoutRotationId: { executionArn: EXECUTION_ARN, kinds: ['csr_res'] },
    });
    expect(ack).toEqual({ outcome: 'accepted', kind: 'crt_ack' });
    expect(await table.read(THING)).toMatchObject({
      phase: 'PROVEN',
      acceptedWithoutRotationId: { executionArn: EXECUTION_ARN, kinds: ['csr_res', 'crt_ack'] },
    });
  });

  it('names a kind once when a later certificate attempt of the execution repeats it', async () => {
    // Prepare: the execution's first attempt already took a csr_res without rotationId.
    await table.put(
      awaitingCsr({ acceptedWithoutRotationId: { executionArn: EXECUTION_ARN, kinds: ['csr_res'] } }),
    );

    // Act
    await reply(csrRes());

    // Assess
    expect((await table.read(THING))?.acceptedWithoutRotationId).toEqual({
      executionArn: EXECUTION_ARN,
      kinds: ['csr_res'],
    });
  });

  it('starts over from a list an earlier execution of the thing left in the record', async () => {
    // Prepare
    await table.put(
      awaitingCsr({
        acceptedWithoutRotationId: { executionArn: OTHER_EXECUTION_ARN, kinds: ['csr_res', 'crt_ack'] },
      }),
    );

    // Act
    await reply(csrRes());

    // Assess
    expect((await table.read(THING))?.acceptedWithoutRotationId).toEqual({
      executionArn: EXECUTION_ARN,
      kinds: ['csr_res'],
    });
  });

  it('records nothing of it for replies that carry their rotationId', async () => {
    // Prepare
    await table.put(awaitingCsr());

    // Act
    const csr = await reply(csrRes(ROTATION_ID));
    await table.put(awaitingAck());
    const ack = await reply(crtAck(ROTATION_ID));

    // Assess
    expect([csr, ack]).toEqual([
      { outcome: 'accepted', kind: 'csr_res' },
      { outcome: 'accepted', kind: 'crt_ack' },
    ]);
    expect((await table.read(THING))?.acceptedWithoutRotationId).toBeUndefined();
  });

  it('records nothing when a reply without rotationId is refused', async () => {
    // Prepare: a crt_ack over the old certificate is the wrong principal.
    await table.put(awaitingAck());

    // Act
    const refused = await reply({ ...crtAck(), principal: OLD_CERT_ID });

    // Assess
    expect(refused).toMatchObject({ outcome: 'rejected', reason: 'wrong-principal' });
    expect((await table.read(THING))?.acceptedWithoutRotationId).toBeUndefined();
  });
});
