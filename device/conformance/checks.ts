import { randomUUID } from 'node:crypto';
import { CSR_REJECTION_NAMES } from '../../workflows/rotate-device/errors.ts';
import {
  type CheckContext,
  CheckFailure,
  certificateKey,
  csrKey,
  expectDuring,
  expectNext,
  expectSucceeded,
  isConnect,
  isMessage,
  type Message,
  seconds,
  seenSince,
  startRotation,
} from './check-context.ts';

/** One protocol path the kit drives the device through. */
export interface Check {
  readonly name: string;
  readonly summary: string;
  run(ctx: CheckContext): Promise<void>;
}

/** Starts a rotation and waits for it to succeed; `newId` is the certificate it issued. */
async function succeededRotation(ctx: CheckContext) {
  const rotation = await startRotation(ctx);
  const record = await expectSucceeded(ctx, rotation);
  return { rotation, record, newId: record.newCertificateId ?? '' };
}

/** Fails unless the thing holds the new certificate and no other, naming what it holds `after` what. */
async function expectOnlyCertificate(ctx: CheckContext, newId: string, after: string): Promise<void> {
  const attached = await ctx.cloud.thingCertificates();
  if (attached.length !== 1 || attached[0] !== newId) {
    throw new CheckFailure(
      `after ${after} the thing holds ${attached.join(', ') || 'no certificate'}, not only ${newId}`,
    );
  }
}

/** A rotation start to finish: the device proves the new certificate, the old one is retired. */
const happyRotation: Check = {
  name: 'happy-rotation',
  summary: 'a rotation: new key, CSR, crt_ack over the new certificate, old certificate retired',
  async run(ctx) {
    const { rotation, newId } = await succeededRotation(ctx);
    if (seenSince(ctx, rotation.from, isConnect(newId)).length === 0) {
      throw new CheckFailure(
        `the rotation succeeded but no connection with the new certificate ${newId} was seen`,
      );
    }
    await expectOnlyCertificate(ctx, newId, 'the rotation');
    const oldStatus = await ctx.cloud.certificateStatus(rotation.oldCertificateId);
    if (oldStatus === 'ACTIVE')
      throw new CheckFailure('the old certificate is still ACTIVE after the rotation');
  },
};

/** The same csr_req twice: the device answers both with one key, and that key is certified. */
const duplicateCsrRequest: Check = {
  name: 'duplicate-csr-req',
  summary: 'csr_req delivered twice: both answered with the same key',
  async run(ctx) {
    const rotation = await startRotation(ctx);
    const request = await expectDuring<Message>(
      ctx,
      rotation,
      rotation.from,
      isMessage('csr_req'),
      "the cloud's csr_req was not seen",
    );
    const rotationId = String(request.body.rotationId);
    const beforeDuplicate = ctx.observer.mark();
    await ctx.cloud.publish('csr_req', request.body);
    const delivered = seenSince(ctx, rotation.from, isMessage('crt_res', rotationId)).length > 0;
    const record = await expectSucceeded(ctx, rotation);
    const answers = seenSince(ctx, rotation.from, isMessage('csr_res', rotationId)) as Message[];
    const keys = new Set(answers.map((m) => csrKey(m.body.CSR)?.key ?? 'unparsable'));
    if (keys.size > 1) {
      throw new CheckFailure(
        `the device answered rotation ${rotationId} with ${keys.size} different keys; one request, one key`,
      );
    }
    // A duplicate that reached the device after its certificate may be dropped; before, it is answered.
    if (!delivered && seenSince(ctx, beforeDuplicate, isMessage('csr_res', rotationId)).length === 0) {
      const answered = answers.length;
      throw new CheckFailure(
        `the repeated csr_req got no csr_res (${answered} answer in all): the same request again gets the same CSR`,
      );
    }
    const issuedKey = certificateKey(await ctx.cloud.certificatePem(record.newCertificateId ?? ''));
    if (!keys.has(issuedKey)) throw new CheckFailure("the certified key is not the key of the device's CSR");
  },
};

/** crt_res again after the rotation ended (the cloud missed the ack): acked again, no new key. */
const resentCertificate: Check = {
  name: 'resent-crt-res',
  summary: 'crt_res resent after a lost ack: acked again over the new certificate, no new key',
  async run(ctx) {
    const { rotation, record, newId } = await succeededRotation(ctx);
    const rotationId = record.rotationId ?? '';
    const sent = seenSince(ctx, rotation.from, isMessage('crt_res', rotationId)) as Message[];
    const last = sent.at(-1);
    if (!last) throw new CheckFailure('the crt_res of the rotation was not seen');
    const from = ctx.observer.mark();
    await ctx.cloud.publish('crt_res', last.body);
    // The old certificate is retired: a crt_ack can only come over the new one.
    await expectNext(ctx, from, isMessage('crt_ack', rotationId), 'the resent crt_res got no crt_ack');
    const newKeys = seenSince(ctx, from, isMessage('csr_res'));
    if (newKeys.length > 0)
      throw new CheckFailure('the device sent a new CSR for a certificate it already holds');
    const foreign = seenSince(
      ctx,
      from,
      (o) => o.kind === 'connected' && 'principal' in o && o.principal !== newId,
    );
    if (foreign.length > 0)
      throw new CheckFailure('the device connected with a certificate other than its new one');
    await expectOnlyCertificate(ctx, newId, 'the resend');
  },
};

/** The broker drops the device mid-rotation (after its CSR): it reconnects and finishes. */
const reconnect: Check = {
  name: 'reconnect',
  summary: 'connection dropped at the broker mid-rotation: the device reconnects and finishes',
  async run(ctx) {
    const rotation = await startRotation(ctx);
    await expectDuring(
      ctx,
      rotation,
      rotation.from,
      isMessage('csr_res'),
      'the device did not answer csr_req',
    );
    const dropped = ctx.observer.mark();
    await ctx.observer.dropDevice();
    await expectDuring(
      ctx,
      rotation,
      dropped,
      (o) => o.kind === 'disconnected',
      'the broker did not report the dropped connection',
    );
    await expectDuring(ctx, rotation, dropped, isConnect(), 'the device did not reconnect');
    await expectSucceeded(ctx, rotation);
  },
};

/**
 * The device cannot use the delivered certificate (the broker refuses it): it reports crt_err,
 * then answers the cloud's fresh attempt with a new key and finishes with that one.
 */
const certificateError: Check = {
  name: 'crt-err',
  summary: 'a certificate the device cannot connect with: crt_err, then a fresh attempt answered',
  async run(ctx) {
    const oldCertificateId = await ctx.cloud.currentCertificate();
    await ctx.cloud.blockOtherCertificates(oldCertificateId);
    try {
      const rotation = await startRotation(ctx);
      const first = await expectDuring<Message>(
        ctx,
        rotation,
        rotation.from,
        isMessage('crt_res'),
        'the cloud delivered no certificate',
      );
      const refused = String(first.body.rotationId);
      // The delivered certificate has its copy of the policy; the next one must not get one.
      await ctx.cloud.unblock(oldCertificateId);
      const error = await expectDuring<Message>(
        ctx,
        rotation,
        first.seq,
        isMessage('crt_err', refused),
        'the device did not report crt_err for a certificate the broker refused it',
      );
      const fresh = await expectDuring<Message>(
        ctx,
        rotation,
        error.seq,
        (o) => isMessage('csr_req')(o) && 'body' in o && o.body.rotationId !== refused,
        "the cloud's fresh csr_req after crt_err was not seen",
      );
      const freshId = String(fresh.body.rotationId);
      const answer = await expectDuring<Message>(
        ctx,
        rotation,
        fresh.seq,
        isMessage('csr_res', freshId),
        'the device did not answer the fresh csr_req',
      );
      const refusedCsr = seenSince(ctx, rotation.from, isMessage('csr_res', refused)) as Message[];
      if (csrKey(answer.body.CSR)?.key === csrKey(refusedCsr[0]?.body.CSR)?.key) {
        throw new CheckFailure('the fresh attempt reuses the key of the refused certificate');
      }
      await expectSucceeded(ctx, rotation);
    } finally {
      await ctx.cloud.removeBlock();
    }
  },
};

/**
 * The cloud refuses a CSR by asking again with a fresh csr_req that names why (`previousError`). A
 * conforming device never sends a CSR the cloud refuses, so the kit sends both requests itself, as
 * the cloud would: the answer to the second must be a new, valid CSR for the thing with a new key.
 */
const rejectedCsr: Check = {
  name: 'rejected-csr',
  summary: 'csr_req naming why the last CSR was refused: a fresh CSR for the thing, with a new key',
  async run(ctx) {
    const currentKey = certificateKey(await ctx.cloud.certificatePem(await ctx.cloud.currentCertificate()));
    const refusedId = randomUUID();
    const asked = ctx.observer.mark();
    await ctx.cloud.publish('csr_req', { rotationId: refusedId });
    const refused = await expectNext<Message>(
      ctx,
      asked,
      isMessage('csr_res', refusedId),
      'the device did not answer csr_req',
    );
    const freshId = randomUUID();
    const askedAgain = ctx.observer.mark();
    await ctx.cloud.publish('csr_req', { rotationId: freshId, previousError: CSR_REJECTION_NAMES.keyReused });
    const answer = await expectNext<Message>(
      ctx,
      askedAgain,
      isMessage('csr_res', freshId),
      `the device did not answer the csr_req naming ${CSR_REJECTION_NAMES.keyReused}`,
    );
    const fresh = csrKey(answer.body.CSR);
    if (!fresh) throw new CheckFailure('the CSR sent after the refusal does not parse');
    if (fresh.key === csrKey(refused.body.CSR)?.key)
      throw new CheckFailure('the CSR sent after the refusal reuses the refused key');
    if (fresh.key === currentKey)
      throw new CheckFailure("the CSR sent after the refusal reuses the current certificate's key");
    if (!fresh.commonNames.includes(ctx.cloud.thingName))
      throw new CheckFailure(`the CSR sent after the refusal is not for ${ctx.cloud.thingName} (CN)`);
  },
};

export const CHECKS: readonly Check[] = [
  happyRotation,
  duplicateCsrRequest,
  resentCertificate,
  reconnect,
  certificateError,
  rejectedCsr,
];

export const CHECK_NAMES = CHECKS.map((check) => check.name);

export { seconds };
