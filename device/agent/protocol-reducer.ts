import { parseMessage, parseTopic } from '../../workflows/rotate-device/protocol.ts';
import type { CertificatePlan, CsrPlan, DeviceBehaviour } from './behaviour.ts';
import type { CompletedRotation, PendingRotation } from './credential-store.ts';

/**
 * The device side of the rotation protocol as a pure function: the agent's protocol state and one
 * inbound message give the next state and the actions to run. It does no I/O and holds no key; the
 * agent runs the actions (keys, store, publishes, proving) and feeds their outcome back as events.
 */

export interface ProtocolState {
  readonly thingName: string;
  /** Id of the certificate the device uses now. */
  readonly activeCertificateId: string;
  readonly pending?: PendingRotation;
  readonly completed?: CompletedRotation;
  /** Rotation ids received, oldest first (bounded), for behaviours that replay them. */
  readonly history: readonly string[];
}

export type ProtocolAction =
  | { readonly type: 'drop'; readonly topic: string; readonly reason: string }
  /** Make (or reuse) a key as the plan says, save it with its CSR, then send `csr_res`. */
  | {
      readonly type: 'new-csr';
      readonly rotationId: string;
      readonly plan: CsrPlan;
      readonly previousError?: string;
    }
  /** The same request again (QoS 1 redelivery or a cloud retry): the same CSR for the same key. */
  | {
      readonly type: 'resend-csr';
      readonly rotationId: string;
      readonly csrPem: string;
      readonly plan: CsrPlan;
      readonly previousError?: string;
    }
  /** Our acknowledgement was lost: the current connection already uses the new certificate. */
  | { readonly type: 'ack-again'; readonly rotationId: string }
  /** `crt_err` over the current connection, nothing else changes. */
  | { readonly type: 'send-crt-err'; readonly rotationId: string; readonly error: string }
  /** `crt_ack` over the current (old) connection: a misbehaving device's claim. */
  | { readonly type: 'ack-over-old'; readonly rotationId: string }
  /** Refuse the pending certificate with `crt_err` and forget the pending key. */
  | { readonly type: 'reject'; readonly rotationId: string; readonly reason: string }
  /** Check the certificate against the pending key, save it, and prove it over a new connection. */
  | {
      readonly type: 'verify-and-prove';
      readonly rotationId: string;
      readonly certificatePem: string;
      readonly certificateId: string;
    };

export interface Reduction {
  readonly state: ProtocolState;
  readonly actions: readonly ProtocolAction[];
}

/** The behaviour's decisions, with the randomness it may use: the reducer's only collaborator. */
export interface Decisions {
  readonly behaviour: DeviceBehaviour;
  readonly random: () => number;
  /** Certificate id of a PEM (SHA-256 of its DER), or undefined when it does not parse. */
  readonly certificateIdOf: (certificatePem: string) => string | undefined;
}

const HISTORY_LIMIT = 8;

export function initialProtocolState(
  thingName: string,
  activeCertificateId: string,
  pending?: PendingRotation,
  completed?: CompletedRotation,
): ProtocolState {
  return {
    thingName,
    activeCertificateId,
    history: [],
    ...(pending ? { pending } : {}),
    ...(completed ? { completed } : {}),
  };
}

/** One message from the device's inbox filter. */
export function onInboundMessage(
  state: ProtocolState,
  topic: string,
  payload: Buffer | string,
  decisions: Decisions,
): Reduction {
  const parsed = parseTopic(topic);
  if (!parsed || parsed.thingName !== state.thingName) {
    return drop(state, topic, 'not a management topic of this thing');
  }
  // The inbox filter also matches this device's own replies; they are not for it.
  if (parsed.kind === 'csr_req') {
    const request = parseMessage('csr_req', payload);
    if (!request.ok) return drop(state, topic, request.reason);
    return onCsrRequest(state, topic, request.message.rotationId, request.message.previousError, decisions);
  }
  if (parsed.kind === 'crt_res') {
    const response = parseMessage('crt_res', payload);
    if (!response.ok) return drop(state, topic, response.reason);
    const { rotationId, certificatePem, certificateId } = response.message;
    return onCertificate(state, topic, { rotationId, certificatePem, certificateId }, decisions);
  }
  return { state, actions: [] };
}

function onCsrRequest(
  state: ProtocolState,
  topic: string,
  rotationId: string,
  previousError: string | undefined,
  decisions: Decisions,
): Reduction {
  const history = state.history;
  const next: ProtocolState = history.includes(rotationId)
    ? state
    : { ...state, history: [...history, rotationId].slice(-HISTORY_LIMIT) };
  if (state.completed?.rotationId === rotationId) {
    return drop(next, topic, `rotation ${rotationId} already completed`);
  }
  const plan = decisions.behaviour.onCsrRequest({
    thingName: state.thingName,
    rotationId,
    history,
    random: decisions.random,
  });
  if (plan === 'ignore') {
    return drop(next, topic, `behaviour ${decisions.behaviour.name} ignores csr_req`);
  }
  const extra = previousError !== undefined ? { previousError } : {};
  if (state.pending?.rotationId === rotationId) {
    return {
      state: next,
      actions: [{ type: 'resend-csr', rotationId, csrPem: state.pending.csrPem, plan, ...extra }],
    };
  }
  return { state: next, actions: [{ type: 'new-csr', rotationId, plan, ...extra }] };
}

function onCertificate(
  state: ProtocolState,
  topic: string,
  message: { rotationId: string; certificatePem: string; certificateId: string },
  decisions: Decisions,
): Reduction {
  const { rotationId } = message;
  const deliveredId = decisions.certificateIdOf(message.certificatePem);
  if (state.completed?.rotationId === rotationId) {
    if (deliveredId === state.activeCertificateId) {
      return { state, actions: [{ type: 'ack-again', rotationId }] };
    }
    return drop(state, topic, `rotation ${rotationId} already completed`);
  }
  if (state.pending?.rotationId !== rotationId) {
    // No key for this certificate (refused before, or the request predates a lost key): say so, so
    // the cloud revokes it and asks again instead of resending until its retries run out.
    return {
      state,
      actions: [
        { type: 'drop', topic, reason: `no pending rotation ${rotationId}` },
        { type: 'send-crt-err', rotationId, error: `the device holds no key for rotation ${rotationId}` },
      ],
    };
  }
  const plan: CertificatePlan = decisions.behaviour.onCertificate({
    thingName: state.thingName,
    rotationId,
    certificateId: message.certificateId,
  });
  switch (plan) {
    case 'ignore':
      return drop(state, topic, `behaviour ${decisions.behaviour.name} ignores crt_res`);
    case 'ack-over-old':
      return { state, actions: [{ type: 'ack-over-old', rotationId }] };
    case 'reject':
      return {
        state,
        actions: [{ type: 'reject', rotationId, reason: 'the device refused the new certificate' }],
      };
    case 'ack':
      return {
        state,
        actions: [
          {
            type: 'verify-and-prove',
            rotationId,
            certificatePem: message.certificatePem,
            certificateId: deliveredId ?? message.certificateId,
          },
        ],
      };
  }
}

/** A new key and its CSR are saved for `rotationId`. */
export function keySaved(state: ProtocolState, rotationId: string, csrPem: string): ProtocolState {
  return { ...state, pending: { phase: 'key-pending', rotationId, csrPem } };
}

/** The delivered certificate passed the checks and is saved, not yet proven. */
export function certificateSaved(
  state: ProtocolState,
  rotationId: string,
  certificateId: string,
): ProtocolState {
  if (state.pending?.rotationId !== rotationId) return state;
  return { ...state, pending: { ...state.pending, phase: 'cert-received', certificateId } };
}

/** The new pair is proven and now the active one. */
export function rotationCommitted(
  state: ProtocolState,
  rotationId: string,
  certificateId: string,
): ProtocolState {
  const { pending: _pending, ...rest } = state;
  return { ...rest, activeCertificateId: certificateId, completed: { rotationId, certificateId } };
}

/** The pending rotation was refused or failed; its key is forgotten. */
export function pendingDiscarded(state: ProtocolState): ProtocolState {
  const { pending: _pending, ...rest } = state;
  return rest;
}

function drop(state: ProtocolState, topic: string, reason: string): Reduction {
  return { state, actions: [{ type: 'drop', topic, reason }] };
}
