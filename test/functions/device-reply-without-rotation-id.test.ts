import { describe, expect, it } from 'vitest';
import { awaitingAck, awaitingCsr, CSR, runDeviceReply, useAnsweredTasks } from './device-reply-fixtures.ts';
import { useTable } from './harness.ts';
import * as ids from './rotation-ids.ts';

const table = useTable();
const { sfn } = useAnsweredTasks();

const csrRes = (rotationId?: string) => ({
  clientId: ids.THING,
  principal: ids.OLD_CERT_ID,
  kind: 'csr_res',
  CSR,
  ...(rotationId ? { rotationId } : {}),
});
const crtAck = (rotationId?: string) => ({
  clientId: ids.THING,
  principal: ids.NEW_CERT_ID,
  kind: 'crt_ack',
  ...(rotationId ? { rotationId } : {}),
});

const reply = (event: unknown) => runDeviceReply(event, { store: table.store, sfn }).result;

describe('device-reply: the record says which replies came without rotationId (blog-compatible mode)', () => {
  it('records each kind accepted without rotationId, in the write that accepts it', async () => {
    // Prepare
    await table.put(awaitingCsr());

    // Act
    const csr = await reply(csrRes());
    const afterCsr = await table.read(ids.THING);
    // The workflow's issue step moves the record on to the ack wait; the list stays in it.
    const kept = afterCsr?.acceptedWithoutRotationId;
    await table.put(awaitingAck(kept ? { acceptedWithoutRotationId: kept } : {}));
    const ack = await reply(crtAck());

    // Assess
    expect(csr).toEqual({ outcome: 'accepted', kind: 'csr_res' });
    expect(afterCsr).toMatchObject({
      phase: 'CSR_RECEIVED',
      acceptedReply: `${ids.ROTATION_ID}/csr_res`,
      acceptedWithoutRotationId: { executionArn: ids.EXECUTION_ARN, kinds: ['csr_res'] },
    });
    expect(ack).toEqual({ outcome: 'accepted', kind: 'crt_ack' });
    expect(await table.read(ids.THING)).toMatchObject({
      phase: 'PROVEN',
      acceptedWithoutRotationId: { executionArn: ids.EXECUTION_ARN, kinds: ['csr_res', 'crt_ack'] },
    });
  });

  it('names a kind once when a later certificate attempt of the execution repeats it', async () => {
    // Prepare: the execution's first attempt already took a csr_res without rotationId.
    await table.put(
      awaitingCsr({ acceptedWithoutRotationId: { executionArn: ids.EXECUTION_ARN, kinds: ['csr_res'] } }),
    );

    // Act
    await reply(csrRes());

    // Assess
    expect((await table.read(ids.THING))?.acceptedWithoutRotationId).toEqual({
      executionArn: ids.EXECUTION_ARN,
      kinds: ['csr_res'],
    });
  });

  it('starts over from a list an earlier execution of the thing left in the record', async () => {
    // Prepare
    await table.put(
      awaitingCsr({
        acceptedWithoutRotationId: { executionArn: ids.OTHER_EXECUTION_ARN, kinds: ['csr_res', 'crt_ack'] },
      }),
    );

    // Act
    await reply(csrRes());

    // Assess
    expect((await table.read(ids.THING))?.acceptedWithoutRotationId).toEqual({
      executionArn: ids.EXECUTION_ARN,
      kinds: ['csr_res'],
    });
  });

  it('records nothing of it for replies that carry their rotationId', async () => {
    // Prepare
    await table.put(awaitingCsr());

    // Act
    const csr = await reply(csrRes(ids.ROTATION_ID));
    await table.put(awaitingAck());
    const ack = await reply(crtAck(ids.ROTATION_ID));

    // Assess
    expect([csr, ack]).toEqual([
      { outcome: 'accepted', kind: 'csr_res' },
      { outcome: 'accepted', kind: 'crt_ack' },
    ]);
    expect((await table.read(ids.THING))?.acceptedWithoutRotationId).toBeUndefined();
  });

  it('records nothing when a reply without rotationId is refused', async () => {
    // Prepare: a crt_ack over the old certificate is the wrong principal.
    await table.put(awaitingAck());

    // Act
    const refused = await reply({ ...crtAck(), principal: ids.OLD_CERT_ID });

    // Assess
    expect(refused).toMatchObject({ outcome: 'rejected', reason: 'wrong-principal' });
    expect((await table.read(ids.THING))?.acceptedWithoutRotationId).toBeUndefined();
  });
});
