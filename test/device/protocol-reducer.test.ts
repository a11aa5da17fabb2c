import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { honestBehaviour } from '../../device/agent/behaviour.ts';
import {
  certificateSaved,
  type Decisions,
  initialProtocolState,
  keySaved,
  onInboundMessage,
  rotationCommitted,
} from '../../device/agent/protocol-reducer.ts';
import { createBehaviour } from '../../device/fleet/behaviours.ts';

const THING = 'reducer-thing';
const OLD_ID = 'a'.repeat(64);
const NEW_ID = 'b'.repeat(64);
const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n';
const decisions: Decisions = {
  behaviour: honestBehaviour,
  random: () => 0.5,
  // Test certificates are named by their id, so the reducer sees which one was delivered.
  certificateIdOf: (pem) => (pem === 'new' ? NEW_ID : pem === 'old' ? OLD_ID : undefined),
};
const topic = (kind: string): string => `management/topic/${THING}/${kind}`;
const csrReq = (rotationId: string) => JSON.stringify({ rotationId });
const crtRes = (rotationId: string, certificatePem = 'new') =>
  JSON.stringify({ rotationId, certificatePem, certificateId: NEW_ID });

describe('the device protocol reducer', () => {
  it('asks for a new key on a first csr_req, and for the same CSR when that request repeats', () => {
    // Prepare
    const rotationId = randomUUID();
    const start = initialProtocolState(THING, OLD_ID);

    // Act
    const first = onInboundMessage(start, topic('csr_req'), csrReq(rotationId), decisions);
    const saved = keySaved(first.state, rotationId, CSR);
    const again = onInboundMessage(saved, topic('csr_req'), csrReq(rotationId), decisions);

    // Assess
    expect(first.actions).toMatchObject([{ type: 'new-csr', rotationId, plan: { commonName: THING } }]);
    expect(again.actions).toMatchObject([{ type: 'resend-csr', rotationId, csrPem: CSR }]);
    expect(again.state.history).toEqual([rotationId]);
  });

  it('proves a certificate delivered for the pending key', () => {
    // Prepare
    const rotationId = randomUUID();
    const state = keySaved(initialProtocolState(THING, OLD_ID), rotationId, CSR);

    // Act
    const { actions } = onInboundMessage(state, topic('crt_res'), crtRes(rotationId), decisions);

    // Assess
    expect(actions).toEqual([
      { type: 'verify-and-prove', rotationId, certificatePem: 'new', certificateId: NEW_ID },
    ]);
  });

  it('answers a certificate for a rotation it holds no key for with crt_err', () => {
    // Prepare
    const state = keySaved(initialProtocolState(THING, OLD_ID), randomUUID(), CSR);
    const stranger = randomUUID();

    // Act
    const { actions } = onInboundMessage(state, topic('crt_res'), crtRes(stranger), decisions);

    // Assess
    expect(actions).toEqual([
      { type: 'drop', topic: topic('crt_res'), reason: `no pending rotation ${stranger}` },
      {
        type: 'send-crt-err',
        rotationId: stranger,
        error: `the device holds no key for rotation ${stranger}`,
      },
    ]);
  });

  it('acknowledges again a crt_res resent after its rotation completed, and drops its csr_req', () => {
    // Prepare
    const rotationId = randomUUID();
    const pending = certificateSaved(
      keySaved(initialProtocolState(THING, OLD_ID), rotationId, CSR),
      rotationId,
      NEW_ID,
    );
    const done = rotationCommitted(pending, rotationId, NEW_ID);

    // Act
    const resent = onInboundMessage(done, topic('crt_res'), crtRes(rotationId), decisions);
    const request = onInboundMessage(done, topic('csr_req'), csrReq(rotationId), decisions);

    // Assess
    expect(done.pending).toBeUndefined();
    expect(done.activeCertificateId).toBe(NEW_ID);
    expect(resent.actions).toEqual([{ type: 'ack-again', rotationId }]);
    expect(request.actions).toEqual([
      { type: 'drop', topic: topic('csr_req'), reason: `rotation ${rotationId} already completed` },
    ]);
  });

  it("drops malformed messages, other things' topics, and its own replies", () => {
    // Prepare
    const state = initialProtocolState(THING, OLD_ID);

    // Act
    const bad = onInboundMessage(state, topic('csr_req'), '{"rotationId":"nope"}', decisions);
    const other = onInboundMessage(state, 'management/topic/else/csr_req', csrReq(randomUUID()), decisions);
    const own = onInboundMessage(state, topic('csr_res'), '{}', decisions);

    // Assess
    expect(bad.actions).toMatchObject([{ type: 'drop', topic: topic('csr_req') }]);
    expect(other.actions).toMatchObject([{ type: 'drop', reason: 'not a management topic of this thing' }]);
    expect(own.actions).toEqual([]);
  });

  it('lets a behaviour refuse or fake the proof', () => {
    // Prepare
    const rotationId = randomUUID();
    const state = keySaved(initialProtocolState(THING, OLD_ID), rotationId, CSR);

    // Act
    const refused = onInboundMessage(state, topic('crt_res'), crtRes(rotationId), {
      ...decisions,
      behaviour: createBehaviour('crt_err'),
    });
    const faked = onInboundMessage(state, topic('crt_res'), crtRes(rotationId), {
      ...decisions,
      behaviour: createBehaviour('ack_over_old'),
    });

    // Assess
    expect(refused.actions).toMatchObject([{ type: 'reject', rotationId }]);
    expect(faked.actions).toEqual([{ type: 'ack-over-old', rotationId }]);
  });
});
