import { type Clock, systemClock } from '../../lib/clock.ts';
import {
  type DeviceReplyKind,
  deviceInboxFilter,
  encodeMessage,
  type MessageOf,
  topicFor,
} from '../../workflows/rotate-device/protocol.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF } from './backoff.ts';
import { type CsrPlan, type DeviceBehaviour, honestBehaviour } from './behaviour.ts';
import { type ProofHost, settleUnproven } from './certificate-proof.ts';
import type { CredentialPair, CredentialStore, PendingRotation } from './credential-store.ts';
import {
  certificateIdOf,
  checkDeliveredCertificate,
  createCsrPem,
  generatePrivateKeyPem,
  type KeyType,
  keyMatchesCertificate,
} from './crypto.ts';
import { AgentStateError, CertificateRejectedError } from './errors.ts';
import type { AgentEvent, AgentEventListener } from './events.ts';
import { MqttLink } from './mqtt-link.ts';
import {
  certificateSaved,
  type Decisions,
  initialProtocolState,
  keySaved,
  onInboundMessage,
  type ProtocolAction,
  type ProtocolState,
  pendingDiscarded,
  rotationCommitted,
} from './protocol-reducer.ts';

export interface DeviceAgentOptions {
  readonly thingName: string;
  readonly endpoint: { readonly host: string; readonly port: number };
  /** CA bundle the broker's server certificate must chain to. */
  readonly serverCaPem: string;
  /** CA bundle a delivered device certificate must chain to; not checked when absent. */
  readonly issuerCaPem?: string;
  readonly store: CredentialStore;
  /** Type of the keys generated for new CSRs (default ec-p256). */
  readonly keyType?: KeyType;
  /** Clock for backoff, offline periods and link drops (default: system clock). */
  readonly clock?: Clock;
  readonly behaviour?: DeviceBehaviour;
  readonly backoff?: BackoffPolicy;
  /** Real milliseconds to wait for a connection or an acknowledgement (default 10 s). */
  readonly timeoutMs?: number;
  readonly random?: () => number;
  /** TLS server name to verify, when the endpoint is addressed by something else. */
  readonly servername?: string;
  readonly keepaliveSeconds?: number;
}

export interface AgentStatus {
  readonly thingName: string;
  readonly running: boolean;
  readonly connected: boolean;
  /** Id of the certificate the device uses now (SHA-256 of its DER). */
  readonly certificateId: string;
  readonly rotations: number;
  readonly pendingRotationId?: string;
  readonly pendingPhase?: PendingRotation['phase'];
  readonly behaviour: string;
}

/** Key material of the pending rotation: kept here, never in the protocol state. */
interface PendingMaterial {
  readonly rotationId: string;
  readonly privateKeyPem: string;
  certificatePem?: string;
}

/**
 * The reference device agent: runs the protocol reducer's actions over an `MqttLink`, proves a new
 * certificate over a second connection before adopting it, and keeps its credentials in a store
 * that survives power loss.
 */
export class DeviceAgent {
  readonly thingName: string;
  private readonly link: MqttLink;
  private readonly random: () => number;
  private readonly keyType: KeyType;
  private behaviour: DeviceBehaviour;
  private readonly listeners = new Set<AgentEventListener>();

  private running = false;
  private active: CredentialPair | undefined;
  private protocol: ProtocolState;
  private material: PendingMaterial | undefined;
  private rotations = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: DeviceAgentOptions) {
    this.thingName = options.thingName;
    this.random = options.random ?? Math.random;
    this.keyType = options.keyType ?? 'ec-p256';
    this.behaviour = options.behaviour ?? honestBehaviour;
    // Validates the name once, so a bad one fails here rather than on the first message.
    deviceInboxFilter(options.thingName);
    topicFor(options.thingName, 'csr_res');
    this.protocol = initialProtocolState(options.thingName, '');
    this.link = new MqttLink({
      thingName: options.thingName,
      endpoint: options.endpoint,
      serverCaPem: options.serverCaPem,
      ...(options.servername !== undefined ? { servername: options.servername } : {}),
      keepaliveSeconds: options.keepaliveSeconds ?? 60,
      timeoutMs: options.timeoutMs ?? 10_000,
      clock: options.clock ?? systemClock,
      random: this.random,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      onMessage: (topic, payload) => this.enqueue(() => this.handleMessage(topic, payload)),
      emit: (event) => this.emit(event),
    });
    this.link.setFaults(this.behaviour);
  }

  onEvent(listener: AgentEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Swaps the strategy, e.g. a silent simulated device that comes back. */
  setBehaviour(behaviour: DeviceBehaviour): void {
    this.behaviour = behaviour;
    this.link.setFaults(behaviour);
  }

  /**
   * Recovers the credential store (finishing or rolling back an interrupted rotation) and starts
   * connecting. Resolves once the store is open; the connection is made in the background.
   */
  async start(): Promise<void> {
    if (this.running) throw new AgentStateError(`agent ${this.thingName} is already running`);
    const state = await this.options.store.open();
    if (state.recoveryNotes.length > 0) this.emit({ type: 'recovered', notes: state.recoveryNotes });
    this.active = state.active;
    const pending = state.pending;
    this.protocol = initialProtocolState(
      this.thingName,
      certificateIdOf(state.active.certificatePem),
      pending?.rotation,
      state.completed,
    );
    this.material = pending
      ? {
          rotationId: pending.rotation.rotationId,
          privateKeyPem: pending.privateKeyPem,
          ...(pending.certificatePem !== undefined ? { certificatePem: pending.certificatePem } : {}),
        }
      : undefined;
    this.running = true;
    const unproven = pending?.rotation.phase === 'cert-received' && pending.certificatePem !== undefined;
    this.link.start(state.active, unproven);
    if (unproven && pending) {
      // The acknowledgement may have reached the cloud before the power went: try the new pair first.
      const rotationId = pending.rotation.rotationId;
      this.enqueue(() =>
        settleUnproven(
          this.proofHost,
          rotationId,
          'the device restarted before it could prove the new certificate',
        ),
      );
    }
  }

  /** Disconnects and stops every timer. The stored credentials stay as they are. */
  async stop(): Promise<void> {
    this.running = false;
    await this.link.stop();
    await this.queue;
  }

  status(): AgentStatus {
    const pending = this.protocol.pending;
    return {
      thingName: this.thingName,
      running: this.running,
      connected: this.link.connected,
      certificateId: this.protocol.activeCertificateId,
      rotations: this.rotations,
      ...(pending ? { pendingRotationId: pending.rotationId, pendingPhase: pending.phase } : {}),
      behaviour: this.behaviour.name,
    };
  }

  /** True when the stored key matches the stored certificate, i.e. the device can still connect. */
  async holdsWorkingCredentials(): Promise<boolean> {
    try {
      const pair = await this.options.store.current();
      return keyMatchesCertificate(pair.privateKeyPem, pair.certificatePem);
    } catch {
      return false;
    }
  }

  /** Drops the link now and stays offline until the clock reaches `until`. */
  goOffline(until: number): void {
    this.link.goOffline(until);
  }

  // --- messages ----------------------------------------------------------------------------------

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: unknown) => this.emitError(error));
  }

  private async handleMessage(topic: string, payload: Buffer): Promise<void> {
    if (!this.running) return;
    const decisions: Decisions = {
      behaviour: this.behaviour,
      random: this.random,
      certificateIdOf: safeCertificateId,
    };
    const { state, actions } = onInboundMessage(this.protocol, topic, payload, decisions);
    this.protocol = state;
    for (const action of actions) await this.run(action);
  }

  private async run(action: ProtocolAction): Promise<void> {
    switch (action.type) {
      case 'drop':
        this.emit({ type: 'message-dropped', topic: action.topic, reason: action.reason });
        return;
      case 'new-csr':
        return this.sendNewCsr(action.rotationId, action.plan, action.previousError);
      case 'resend-csr':
        return this.sendCsr(action.rotationId, action.csrPem, action.plan, true, action.previousError);
      case 'ack-again':
        if (this.reply(this.thingName, 'crt_ack', { rotationId: action.rotationId }))
          this.emit({ type: 'ack-repeated', rotationId: action.rotationId });
        return;
      case 'send-crt-err':
        this.reply(this.thingName, 'crt_err', { rotationId: action.rotationId, error: action.error });
        return;
      case 'ack-over-old':
        this.reply(this.thingName, 'crt_ack', { rotationId: action.rotationId });
        return;
      case 'reject':
        return this.reject(action.rotationId, action.reason);
      case 'verify-and-prove':
        return this.verifyAndProve(action.rotationId, action.certificatePem, action.certificateId);
    }
  }

  private async sendNewCsr(rotationId: string, plan: CsrPlan, previousError?: string): Promise<void> {
    const privateKeyPem =
      plan.key === 'current'
        ? this.requireActive().privateKeyPem
        : await generatePrivateKeyPem(plan.key === 'weak' ? (plan.weakKeyType ?? 'rsa-1024') : this.keyType);
    const csrPem = await createCsrPem(privateKeyPem, plan.commonName);
    await this.options.store.savePendingKey(rotationId, privateKeyPem, csrPem);
    this.protocol = keySaved(this.protocol, rotationId, csrPem);
    this.material = { rotationId, privateKeyPem };
    this.sendCsr(rotationId, csrPem, plan, false, previousError);
  }

  private sendCsr(
    rotationId: string,
    csrPem: string,
    plan: CsrPlan,
    repeated: boolean,
    previousError: string | undefined,
  ): void {
    if (!this.reply(plan.replyThingName, 'csr_res', { rotationId: plan.replyRotationId, CSR: csrPem }))
      return;
    this.emit({
      type: 'csr-sent',
      rotationId,
      repeated,
      ...(previousError !== undefined ? { previousError } : {}),
    });
  }

  private async verifyAndProve(
    rotationId: string,
    certificatePem: string,
    certificateId: string,
  ): Promise<void> {
    const material = this.material;
    if (material?.rotationId !== rotationId) return;
    try {
      checkDeliveredCertificate(certificatePem, material.privateKeyPem, this.options.issuerCaPem);
    } catch (error) {
      if (!(error instanceof CertificateRejectedError)) throw error;
      await this.reject(rotationId, error.message);
      return;
    }
    await this.options.store.savePendingCertificate(rotationId, certificatePem, certificateId);
    this.protocol = certificateSaved(this.protocol, rotationId, certificateId);
    material.certificatePem = certificatePem;
    this.emit({ type: 'certificate-accepted', rotationId, certificateId });
    await settleUnproven(this.proofHost, rotationId, 'could not connect with the new certificate');
  }

  /** Refuses the pending certificate over the current connection and forgets the pending key. */
  private async reject(rotationId: string, reason: string): Promise<void> {
    this.reply(this.thingName, 'crt_err', { rotationId, error: reason });
    await this.forgetPending();
    this.emit({ type: 'certificate-rejected', rotationId, reason });
  }

  private async forgetPending(): Promise<void> {
    await this.options.store.discardPending();
    this.protocol = pendingDiscarded(this.protocol);
    this.material = undefined;
  }

  /** The agent as `settleUnproven` sees it. */
  private get proofHost(): ProofHost {
    return {
      thingName: this.options.thingName,
      link: this.link,
      isRunning: () => this.running,
      unproven: (rotationId) => {
        const material = this.material;
        if (!material?.certificatePem || material.rotationId !== rotationId) return undefined;
        return { privateKeyPem: material.privateKeyPem, certificatePem: material.certificatePem };
      },
      adopt: async (rotationId, certificateId) => {
        const committed = await this.options.store.commit(rotationId);
        this.active = committed;
        this.protocol = rotationCommitted(this.protocol, rotationId, certificateId);
        this.material = undefined;
        this.rotations += 1;
        return committed;
      },
      forget: async (rotationId, error) => {
        await this.forgetPending();
        this.emit({ type: 'certificate-rejected', rotationId, reason: error });
      },
      activeCertificateId: () => this.protocol.activeCertificateId,
      emit: (event) => this.emit(event),
    };
  }

  // --- replies and events ------------------------------------------------------------------------

  /** A QoS 1 reply over the main connection; false (nothing sent) when there is none. */
  private reply<K extends DeviceReplyKind>(thingName: string, kind: K, message: MessageOf<K>): boolean {
    let topic: string;
    try {
      topic = topicFor(thingName, kind);
    } catch (error) {
      this.emitError(error);
      return false;
    }
    if (!this.link.publish(topic, encodeMessage(kind, message), (error) => this.emitError(error)))
      return false;
    this.emit({
      type: 'published',
      kind,
      topic,
      rotationId: message.rotationId,
      certificateId: this.protocol.activeCertificateId,
    });
    return true;
  }

  private requireActive(): CredentialPair {
    if (!this.active) throw new AgentStateError(`agent ${this.thingName} was not started`);
    return this.active;
  }

  private emit(event: AgentEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // An observer's failure must not break the device.
      }
    }
  }

  private emitError(error: unknown): void {
    const named = error instanceof Error ? error : new Error(String(error));
    this.emit({ type: 'error', name: named.name, message: named.message });
  }
}

function safeCertificateId(certificatePem: string): string | undefined {
  try {
    return certificateIdOf(certificatePem);
  } catch {
    return undefined;
  }
}
