import { createHash } from 'node:crypto';
import { namedError } from '../../lib/named-error.ts';
import { parsePkcs10Pem } from '../../lib/pkcs10.ts';
import type { MessageKind } from '../../workflows/rotate-device/protocol.ts';
import { publicKeyDerOfCertificate } from '../agent/crypto.ts';
import type { ConformanceCloud, RotationRecord } from './cloud.ts';
import type { BrokerObserver, Observed } from './observer.ts';

/** What a check runs with: the cloud, the observer and its deadline. */
export interface CheckContext {
  readonly cloud: ConformanceCloud;
  readonly observer: BrokerObserver;
  /** Aborted when the check's time is up. */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
}

/** A check's verdict against the device, with the reason a firmware team can act on. */
export class CheckFailure extends namedError('CheckFailure') {}

export type Message = Extract<Observed, { body: Record<string, unknown> }>;

export const isMessage = (kind: MessageKind, rotationId?: string) => (o: Observed) =>
  o.kind === kind && 'body' in o && (rotationId === undefined || o.body.rotationId === rotationId);

export const isConnect = (principal?: string) => (o: Observed) =>
  o.kind === 'connected' && (principal === undefined || ('principal' in o && o.principal === principal));

export function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

/** The next observation after `from` that matches, or a CheckFailure naming `what` at the deadline. */
export async function expectNext<T extends Observed = Observed>(
  ctx: CheckContext,
  from: number,
  match: (o: Observed) => boolean,
  what: string,
): Promise<T> {
  const found = await ctx.observer.next(from, match, ctx.signal);
  if (!found) throw new CheckFailure(`${what} within ${seconds(ctx.timeoutMs)}`);
  return found as T;
}

/** Observations after `from` that match. */
export function seenSince(ctx: CheckContext, from: number, match: (o: Observed) => boolean): Observed[] {
  return ctx.observer.seen.slice(from).filter(match);
}

/** SHA-256 of a CSR's public key, or undefined when it does not parse. */
export function csrKey(pem: unknown): { key: string; commonNames: readonly string[] } | undefined {
  if (typeof pem !== 'string') return undefined;
  try {
    const csr = parsePkcs10Pem(pem);
    return { key: fingerprint(csr.subjectPublicKeyInfo), commonNames: csr.commonNames };
  } catch {
    return undefined;
  }
}

export function certificateKey(pem: string): string {
  return fingerprint(publicKeyDerOfCertificate(pem));
}

function fingerprint(spki: Buffer): string {
  return createHash('sha256').update(spki).digest('hex');
}

export interface StartedRotation {
  readonly executionArn: string;
  readonly oldCertificateId: string;
  /** Key fingerprint of the certificate being replaced. */
  readonly oldKey: string;
  /** Observation mark taken before the start. */
  readonly from: number;
  /** Aborted when the rotation ends or the check's time is up. */
  readonly watch: AbortSignal;
  /** The record once the rotation ended. */
  ended(): RotationRecord | undefined;
}

export async function startRotation(ctx: CheckContext): Promise<StartedRotation> {
  const from = ctx.observer.mark();
  const { executionArn, oldCertificateId } = await ctx.cloud.startRotation();
  const oldKey = certificateKey(await ctx.cloud.certificatePem(oldCertificateId));
  const watch = new AbortController();
  ctx.signal.addEventListener('abort', () => watch.abort(), { once: true });
  let record: RotationRecord | undefined;
  // Polls until the rotation ends (the runner abandons one left in flight), so waits stop with it.
  void ctx.cloud
    .ended(executionArn, watch.signal)
    .then((ended) => {
      record = ended;
      watch.abort();
    })
    .catch(() => watch.abort());
  return { executionArn, oldCertificateId, oldKey, from, watch: watch.signal, ended: () => record };
}

/**
 * Like expectNext, while the rotation runs: a rotation that ends without success first fails the
 * check with what explains it.
 */
export async function expectDuring<T extends Observed = Observed>(
  ctx: CheckContext,
  rotation: StartedRotation,
  from: number,
  match: (o: Observed) => boolean,
  what: string,
): Promise<T> {
  const found = await ctx.observer.next(from, match, rotation.watch);
  if (found) return found as T;
  const record = rotation.ended();
  if (record && record.status !== 'SUCCEEDED') throw new CheckFailure(explainFailure(ctx, rotation, record));
  if (record) throw new CheckFailure(`${what} before the rotation ended ${record.status}`);
  throw new CheckFailure(`${what} within ${seconds(ctx.timeoutMs)}`);
}

/** Waits for the rotation to end and requires it SUCCEEDED, explaining from what was seen when not. */
export async function expectSucceeded(ctx: CheckContext, rotation: StartedRotation): Promise<RotationRecord> {
  const record = await ctx.cloud.ended(rotation.executionArn, ctx.signal);
  if (record?.status === 'SUCCEEDED' && record.newCertificateId) return record;
  const current = record ?? (await ctx.cloud.record());
  throw new CheckFailure(explainFailure(ctx, rotation, current));
}

/** Why a rotation did not succeed, from the device's messages and connections and the record. */
export function explainFailure(
  ctx: CheckContext,
  rotation: StartedRotation,
  record: RotationRecord | undefined,
): string {
  const { from } = rotation;
  const time = seconds(ctx.timeoutMs);
  const ended = record?.status !== undefined && record.status !== 'IN_PROGRESS';
  const told = seenSince(ctx, from, isMessage('csr_req'))
    .map((o) => ('body' in o ? o.body.previousError : undefined))
    .filter((e): e is string => typeof e === 'string');
  const reasons = [...new Set(told)].join('; ');
  const toldDevice = reasons ? `, having told the device: ${reasons}` : '';
  const cloudSays = record?.lastError ? ` (${shortError(record.lastError)}${toldDevice})` : '';
  const outcome = ended ? `the rotation ended ${record?.status}${cloudSays}` : `no outcome within ${time}`;
  const csrs = seenSince(ctx, from, isMessage('csr_res')) as Message[];
  if (seenSince(ctx, from, isMessage('csr_req')).length === 0) {
    return `the cloud's csr_req was not seen within ${time}: is the local AWS running its rotations?`;
  }
  if (csrs.length === 0) {
    return `the device did not answer csr_req with csr_res within ${time} (is it connected, subscribed to management/topic/<thing>/+?)`;
  }
  for (const csr of csrs) {
    const parsed = csrKey(csr.body.CSR);
    if (!parsed) return `the device's CSR does not parse as a PEM PKCS#10 request; ${outcome}`;
    if (parsed.key === rotation.oldKey) {
      return `the device's CSR reuses the key of its current certificate (a new key is needed for each rotation); ${outcome}`;
    }
    if (parsed.commonNames.length !== 1 || parsed.commonNames[0] !== ctx.cloud.thingName) {
      return `the device's CSR subject CN is ${JSON.stringify(parsed.commonNames)}, not the thing name; ${outcome}`;
    }
  }
  const delivered = seenSince(ctx, from, isMessage('crt_res')) as Message[];
  if (delivered.length === 0) return `the cloud delivered no certificate; ${outcome}`;
  const errors = seenSince(ctx, from, isMessage('crt_err')) as Message[];
  const acks = seenSince(ctx, from, isMessage('crt_ack'));
  const newIds = new Set(delivered.map((m) => String(m.body.certificateId)));
  const overNew = seenSince(
    ctx,
    from,
    (o) => o.kind === 'connected' && 'principal' in o && newIds.has(o.principal),
  );
  if (acks.length > 0 && overNew.length === 0) {
    return `the device sent crt_ack without connecting with the new certificate (over the old one): the cloud takes crt_ack only over a connection made with the new certificate; ${outcome}`;
  }
  if (acks.length === 0 && errors.length > 0) {
    return `the device refused the delivered certificate with crt_err (${JSON.stringify(errors[0]?.body.error ?? '')}); ${outcome}`;
  }
  if (acks.length === 0) {
    return `the device did not acknowledge the delivered certificate: no crt_ack within ${time}`;
  }
  return `the device's crt_ack was not accepted by the cloud; ${outcome}`;
}

/** `Name: {"errorMessage": ...}` as Step Functions records a function's error, as `Name: message`. */
function shortError(error: string): string {
  const match = /^([\w.]+): (\{.*\})$/s.exec(error);
  if (!match) return error;
  try {
    const parsed: unknown = JSON.parse(match[2] ?? '');
    const message =
      typeof parsed === 'object' && parsed !== null
        ? (parsed as { errorMessage?: unknown }).errorMessage
        : undefined;
    return typeof message === 'string' ? `${match[1]}: ${message}` : error;
  } catch {
    return error;
  }
}
