import { encodeMessage, topicFor } from '../../workflows/rotate-device/protocol.ts';
import type { CredentialPair } from './credential-store.ts';
import { certificateIdOf } from './crypto.ts';
import { NewCertificateConnectError } from './errors.ts';
import type { AgentEvent } from './events.ts';
import type { MqttLink } from './mqtt-link.ts';

/** What settling an unproven certificate needs from the agent. */
export interface ProofHost {
  readonly thingName: string;
  readonly link: MqttLink;
  isRunning(): boolean;
  /** The delivered, saved, unproven pair of `rotationId`, or undefined once it is settled. */
  unproven(rotationId: string): CredentialPair | undefined;
  /** The broker has the `crt_ack` sent over the new pair: adopt it (the client is connected with it). */
  adopt(rotationId: string, certificateId: string): Promise<CredentialPair>;
  /** The broker has `crt_err` over the old pair: forget the new one. */
  forget(rotationId: string, error: string): Promise<void>;
  activeCertificateId(): string;
  emit(event: AgentEvent): void;
}

/**
 * Settles a delivered but unproven certificate: prove it over a new connection and adopt it, or
 * report `crt_err` over a connection with the old certificate and forget it. Neither pair is thrown
 * away until the other one is known to work, so a lost acknowledgement cannot lock the device out.
 * The link is held meanwhile (the client id is in use), and released at the end.
 */
export async function settleUnproven(host: ProofHost, rotationId: string, reason: string): Promise<void> {
  host.link.hold();
  try {
    let tryNew = true;
    let lastFailure = '';
    /** A crt_ack went out over an accepted connection and its PUBACK never came: it may have arrived. */
    let ackMaybeDelivered = false;
    while (host.isRunning()) {
      const pair = host.unproven(rotationId);
      if (!pair) return;
      if (tryNew) {
        const outcome = await proveNew(host, rotationId, pair);
        if (outcome === 'proven') return;
        lastFailure = outcome.failure;
        ackMaybeDelivered ||= outcome.ackSent;
        if (ackMaybeDelivered && !outcome.refused) {
          // The cloud may hold the proof and be retiring the old certificate: a crt_err now could
          // leave the device with only that one. Only the broker refusing the new one settles it.
          await host.link.pause();
          continue;
        }
      } else {
        const why = `${reason}: ${lastFailure || 'unknown failure'}`;
        if (await reportFailure(host, rotationId, why)) return;
        await host.link.pause();
      }
      tryNew = !tryNew;
    }
  } finally {
    host.link.release();
  }
}

type ProofOutcome = 'proven' | { failure: string; ackSent: boolean; refused: boolean };

/** Connects with the new pair and acknowledges over it; on success adopts it. */
async function proveNew(host: ProofHost, rotationId: string, pair: CredentialPair): Promise<ProofOutcome> {
  const { link } = host;
  const client = await link.open(pair);
  if (!client) {
    return {
      failure: `the connection with the new certificate failed (${link.lastFailure})`,
      ackSent: false,
      refused: link.lastFailureRefused,
    };
  }
  const topic = topicFor(host.thingName, 'crt_ack');
  try {
    await link.publishConfirmed(client, topic, encodeMessage('crt_ack', { rotationId }), 'crt_ack');
  } catch (error) {
    link.drop(client);
    const failure = new NewCertificateConnectError('crt_ack over the new certificate was not acknowledged', {
      cause: error,
    }).message;
    return { failure, ackSent: true, refused: false };
  }
  const certificateId = certificateIdOf(pair.certificatePem);
  host.emit({ type: 'published', kind: 'crt_ack', topic, rotationId, certificateId });
  if (!host.isRunning()) {
    // Stopped (or powered off) between the proof and the swap: the store still says
    // cert-received, and the next start settles it.
    link.drop(client);
    return 'proven';
  }
  const committed = await host.adopt(rotationId, certificateId);
  link.setCredentials(committed);
  link.adopt(client);
  host.emit({ type: 'rotated', rotationId, certificateId });
  return 'proven';
}

/** Sends crt_err over a connection with the old certificate; true once the broker has it. */
async function reportFailure(host: ProofHost, rotationId: string, reason: string): Promise<boolean> {
  const client = await host.link.ensureMain();
  if (!client) return false;
  const error = reason.slice(0, 4096);
  const topic = topicFor(host.thingName, 'crt_err');
  try {
    await host.link.publishConfirmed(
      client,
      topic,
      encodeMessage('crt_err', { rotationId, error }),
      'crt_err',
    );
  } catch {
    return false;
  }
  host.emit({
    type: 'published',
    kind: 'crt_err',
    topic,
    rotationId,
    certificateId: host.activeCertificateId(),
  });
  await host.forget(rotationId, error);
  return true;
}
