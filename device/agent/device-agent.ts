import mqtt, { type MqttClient } from 'mqtt';
import { type Clock, systemClock, type Timer } from '../../lib/clock.ts';
import {
  type CertificateResponse,
  type DeviceReplyKind,
  deviceInboxFilter,
  encodeMessage,
  type MessageOf,
  parseMessage,
  parseTopic,
  topicFor,
} from '../../workflows/rotate-device/protocol.ts';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
import { type DeviceBehaviour, honestBehaviour } from './behaviour.ts';
import type {
  CompletedRotation,
  CredentialPair,
  CredentialStore,
  PendingRotation,
} from './credential-store.ts';
import {
  certificateIdOf,
  checkDeliveredCertificate,
  createCsrPem,
  generatePrivateKeyPem,
  type KeyType,
  keyMatchesCertificate,
} from './crypto.ts';
import {
  AgentStateError,
  AgentTimeoutError,
  CertificateRejectedError,
  MqttConnectError,
  NewCertificateConnectError,
} from './errors.ts';
import type { AgentEvent, AgentEventListener } from './events.ts';

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

interface PendingState {
  rotation: PendingRotation;
  privateKeyPem: string;
  certificatePem?: string;
}

const HISTORY_LIMIT = 8;

/**
 * The reference device agent: keeps an MQTT connection over mutual TLS with the device's certificate,
 * answers the rotation protocol, proves a new certificate over a second connection before adopting
 * it, and keeps its credentials in a store that survives power loss.
 */
export class DeviceAgent {
  readonly thingName: string;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoff: BackoffPolicy;
  private readonly timeoutMs: number;
  private readonly keyType: KeyType;
  private behaviour: DeviceBehaviour;
  private readonly listeners = new Set<AgentEventListener>();

  private running = false;
  private active: CredentialPair | undefined;
  private activeCertificateId = '';
  private pending: PendingState | undefined;
  private completed: CompletedRotation | undefined;
  private rotations = 0;
  private readonly history: string[] = [];

  private main: MqttClient | undefined;
  private readonly clients = new Set<MqttClient>();
  /** Set while a new certificate is being proven or an unproven one resolved: the main link is managed there. */
  private proving = false;
  private connectLoopRunning = false;
  private attempt = 0;
  private readonly timers = new Set<Timer>();
  private readonly sleepers = new Set<() => void>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: DeviceAgentOptions) {
    this.thingName = options.thingName;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.keyType = options.keyType ?? 'ec-p256';
    this.behaviour = options.behaviour ?? honestBehaviour;
    // Validates the name once, so a bad one fails here rather than on the first message.
    deviceInboxFilter(options.thingName);
    topicFor(options.thingName, 'csr_res');
  }

  onEvent(listener: AgentEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Swaps the strategy, e.g. a silent simulated device that comes back. */
  setBehaviour(behaviour: DeviceBehaviour): void {
    this.behaviour = behaviour;
  }

  /**
   * Recovers the credential store (finishing or rolling back an interrupted rotation) and starts
   * connecting. Resolves once the store is open; the connection is made in the background.
   */
  async start(): Promise<void> {
    if (this.running) throw new AgentStateError(`agent ${this.thingName} is already running`);
    const state = await this.options.store.open();
    if (state.recoveryNotes.length > 0) this.emit({ type: 'recovered', notes: state.recoveryNotes });
    this.setActive(state.active);
    this.completed = state.completed;
    this.pending = state.pending
      ? {
          rotation: state.pending.rotation,
          privateKeyPem: state.pending.privateKeyPem,
          ...(state.pending.certificatePem !== undefined
            ? { certificatePem: state.pending.certificatePem }
            : {}),
        }
      : undefined;
    this.running = true;
    const pending = this.pending;
    if (pending?.rotation.phase === 'cert-received' && pending.certificatePem !== undefined) {
      // The acknowledgement may have reached the cloud before the power went: try the new pair first.
      const rotationId = pending.rotation.rotationId;
      this.enqueue(() =>
        this.resolveUnproven(
          rotationId,
          true,
          'the device restarted before it could prove the new certificate',
        ),
      );
    } else {
      this.kickConnectLoop();
    }
  }

  /** Disconnects and stops every timer. The stored credentials stay as they are. */
  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) this.clock.clearTimer(timer);
    this.timers.clear();
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
    const clients = [...this.clients];
    this.clients.clear();
    this.main = undefined;
    await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
    await this.queue;
  }

  status(): AgentStatus {
    return {
      thingName: this.thingName,
      running: this.running,
      connected: this.main?.connected === true,
      certificateId: this.activeCertificateId,
      rotations: this.rotations,
      ...(this.pending
        ? { pendingRotationId: this.pending.rotation.rotationId, pendingPhase: this.pending.rotation.phase }
        : {}),
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
    this.offlineUntil = until;
    this.emit({ type: 'offline', until });
    const main = this.main;
    if (main) main.stream?.destroy();
  }

  private offlineUntil = 0;
  private lastConnectFailure = '';

  // --- connections -------------------------------------------------------------------------------

  private setActive(pair: CredentialPair): void {
    this.active = pair;
    this.activeCertificateId = certificateIdOf(pair.certificatePem);
  }

  private requireActive(): CredentialPair {
    if (!this.active) throw new AgentStateError(`agent ${this.thingName} was not started`);
    return this.active;
  }

  private kickConnectLoop(): void {
    if (this.connectLoopRunning || !this.running || this.proving || this.main) return;
    this.connectLoopRunning = true;
    void this.connectLoop()
      .catch((error: unknown) => this.emitError(error))
      .finally(() => {
        this.connectLoopRunning = false;
      });
  }

  private async connectLoop(): Promise<void> {
    while (this.running && !this.main && !this.proving) {
      if (await this.waitWhileOffline()) continue;
      const client = await this.tryConnect(this.requireActive());
      if (!this.running) {
        await client?.endAsync(true).catch(() => undefined);
        return;
      }
      if (client) {
        if (this.proving) {
          // A rotation took over the link while this attempt was under way.
          this.dropClient(client);
          return;
        }
        this.installMain(client);
        return;
      }
      await this.sleep(backoffDelay(this.backoff, this.attempt++, this.random));
    }
  }

  /** Returns true after waiting, so the caller re-checks everything. */
  private async waitWhileOffline(): Promise<boolean> {
    const now = this.clock.now();
    const until = Math.max(this.offlineUntil, this.behaviour.offlineUntil?.(now) ?? 0);
    if (until <= now) return false;
    this.emit({ type: 'offline', until });
    await this.sleep(until - now);
    return true;
  }

  private createClient(pair: CredentialPair): MqttClient {
    const { endpoint } = this.options;
    const client = mqtt.connect({
      protocol: 'mqtts',
      host: endpoint.host,
      port: endpoint.port,
      key: pair.privateKeyPem,
      cert: pair.certificatePem,
      ca: this.options.serverCaPem,
      rejectUnauthorized: true,
      protocolVersion: 4,
      clientId: this.thingName,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: this.timeoutMs,
      keepalive: this.options.keepaliveSeconds ?? 60,
      ...(this.options.servername !== undefined ? { servername: this.options.servername } : {}),
    });
    this.clients.add(client);
    client.on('message', (topic, payload) => this.enqueue(() => this.handleMessage(topic, payload)));
    client.on('close', () => this.onClientClose(client));
    // Errors surface through tryConnect and publish; the listener keeps them from being unhandled.
    client.on('error', () => undefined);
    return client;
  }

  /** A connected, subscribed client, or undefined when the attempt failed (reported as an event). */
  private async tryConnect(pair: CredentialPair): Promise<MqttClient | undefined> {
    if (!this.running) return undefined;
    const client = this.createClient(pair);
    try {
      await waitForConnect(client, this.timeoutMs);
      await withTimeout(
        client.subscribeAsync(deviceInboxFilter(this.thingName), { qos: 1 }),
        this.timeoutMs,
        'subscribe',
      );
      if (!this.running) {
        // stop() ran while this attempt was under way; it must not leave a live connection behind.
        this.dropClient(client);
        return undefined;
      }
      return client;
    } catch (error) {
      this.lastConnectFailure = error instanceof Error ? error.message : String(error);
      this.emit({
        type: 'connect-failed',
        certificateId: certificateIdOf(pair.certificatePem),
        reason: this.lastConnectFailure,
      });
      this.dropClient(client);
      return undefined;
    }
  }

  private installMain(client: MqttClient): void {
    this.main = client;
    if (!client.connected) {
      // It closed between its SUBACK and now, when its close event could not yet count.
      this.onClientClose(client);
      return;
    }
    this.attempt = 0;
    this.emit({ type: 'connected', certificateId: this.activeCertificateId });
    const dropAfter = this.behaviour.linkDropAfter?.(this.random);
    if (dropAfter !== undefined) {
      this.after(dropAfter, () => {
        if (this.main === client) {
          this.emit({ type: 'link-dropped' });
          client.stream?.destroy();
        }
      });
    }
  }

  private onClientClose(client: MqttClient): void {
    if (client !== this.main) return;
    this.main = undefined;
    this.dropClient(client);
    this.emit({ type: 'disconnected' });
    if (this.running && !this.proving) {
      // A short pause first, so a broker that kicks us does not see a reconnect storm.
      const delay = backoffDelay(this.backoff, this.attempt++, this.random);
      this.after(delay, () => this.kickConnectLoop());
    }
  }

  private dropClient(client: MqttClient): void {
    this.clients.delete(client);
    client.end(true);
  }

  // --- messages ----------------------------------------------------------------------------------

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: unknown) => this.emitError(error));
  }

  private async handleMessage(topic: string, payload: Buffer): Promise<void> {
    if (!this.running) return;
    const parsed = parseTopic(topic);
    if (!parsed || parsed.thingName !== this.thingName) {
      this.emit({ type: 'message-dropped', topic, reason: 'not a management topic of this thing' });
      return;
    }
    // The inbox filter also matches this device's own replies; they are not for it.
    if (parsed.kind !== 'csr_req' && parsed.kind !== 'crt_res') return;
    if (parsed.kind === 'csr_req') {
      const request = parseMessage('csr_req', payload);
      if (!request.ok) {
        this.emit({ type: 'message-dropped', topic, reason: request.reason });
        return;
      }
      await this.handleCsrRequest(topic, request.message.rotationId, request.message.previousError);
      return;
    }
    const response = parseMessage('crt_res', payload);
    if (!response.ok) {
      this.emit({ type: 'message-dropped', topic, reason: response.reason });
      return;
    }
    await this.handleCertificate(topic, response.message);
  }

  private async handleCsrRequest(topic: string, rotationId: string, previousError?: string): Promise<void> {
    const history = [...this.history];
    if (!this.history.includes(rotationId)) {
      this.history.push(rotationId);
      if (this.history.length > HISTORY_LIMIT) this.history.shift();
    }
    if (this.completed?.rotationId === rotationId) {
      this.emit({ type: 'message-dropped', topic, reason: `rotation ${rotationId} already completed` });
      return;
    }
    const plan = this.behaviour.onCsrRequest({
      thingName: this.thingName,
      rotationId,
      history,
      random: this.random,
    });
    if (plan === 'ignore') {
      this.emit({
        type: 'message-dropped',
        topic,
        reason: `behaviour ${this.behaviour.name} ignores csr_req`,
      });
      return;
    }
    let csrPem: string;
    let repeated = false;
    if (this.pending?.rotation.rotationId === rotationId) {
      // Same request again (QoS 1 redelivery or a cloud retry): same key, same CSR.
      csrPem = this.pending.rotation.csrPem;
      repeated = true;
    } else {
      const privateKeyPem =
        plan.key === 'current'
          ? this.requireActive().privateKeyPem
          : await generatePrivateKeyPem(
              plan.key === 'weak' ? (plan.weakKeyType ?? 'rsa-1024') : this.keyType,
            );
      csrPem = await createCsrPem(privateKeyPem, plan.commonName);
      await this.options.store.savePendingKey(rotationId, privateKeyPem, csrPem);
      this.pending = { rotation: { phase: 'key-pending', rotationId, csrPem }, privateKeyPem };
    }
    const main = this.main;
    if (!main) return;
    this.publish(main, this.activeCertificateId, plan.replyThingName, 'csr_res', {
      rotationId: plan.replyRotationId,
      CSR: csrPem,
    });
    this.emit({
      type: 'csr-sent',
      rotationId,
      repeated,
      ...(previousError !== undefined ? { previousError } : {}),
    });
  }

  private async handleCertificate(topic: string, message: CertificateResponse): Promise<void> {
    const { rotationId } = message;
    const deliveredId = safeCertificateId(message.certificatePem);
    if (this.completed?.rotationId === rotationId) {
      if (deliveredId === this.activeCertificateId && this.main) {
        // Our acknowledgement was lost: the current connection already uses the new certificate.
        this.publish(this.main, this.activeCertificateId, this.thingName, 'crt_ack', { rotationId });
        this.emit({ type: 'ack-repeated', rotationId });
      } else {
        this.emit({ type: 'message-dropped', topic, reason: `rotation ${rotationId} already completed` });
      }
      return;
    }
    const pending = this.pending;
    if (!pending || pending.rotation.rotationId !== rotationId) {
      // No key for this certificate (refused before, or the request predates a lost key): say so, so
      // the cloud revokes it and asks again instead of resending until its retries run out.
      this.emit({ type: 'message-dropped', topic, reason: `no pending rotation ${rotationId}` });
      if (this.main)
        this.publish(this.main, this.activeCertificateId, this.thingName, 'crt_err', {
          rotationId,
          error: `the device holds no key for rotation ${rotationId}`,
        });
      return;
    }
    const plan = this.behaviour.onCertificate({
      thingName: this.thingName,
      rotationId,
      certificateId: message.certificateId,
    });
    if (plan === 'ignore') {
      this.emit({
        type: 'message-dropped',
        topic,
        reason: `behaviour ${this.behaviour.name} ignores crt_res`,
      });
      return;
    }
    if (plan === 'ack-over-old') {
      if (this.main)
        this.publish(this.main, this.activeCertificateId, this.thingName, 'crt_ack', { rotationId });
      return;
    }
    if (plan === 'reject') {
      await this.reject(rotationId, 'the device refused the new certificate');
      return;
    }
    try {
      checkDeliveredCertificate(message.certificatePem, pending.privateKeyPem, this.options.issuerCaPem);
    } catch (error) {
      if (!(error instanceof CertificateRejectedError)) throw error;
      await this.reject(rotationId, error.message);
      return;
    }
    const certificateId = deliveredId ?? message.certificateId;
    await this.options.store.savePendingCertificate(rotationId, message.certificatePem, certificateId);
    pending.rotation = { ...pending.rotation, phase: 'cert-received', certificateId };
    pending.certificatePem = message.certificatePem;
    this.emit({ type: 'certificate-accepted', rotationId, certificateId });
    await this.resolveUnproven(rotationId, true, 'could not connect with the new certificate');
  }

  /** Refuses the pending certificate over the current connection and forgets the pending key. */
  private async reject(rotationId: string, reason: string): Promise<void> {
    if (this.main)
      this.publish(this.main, this.activeCertificateId, this.thingName, 'crt_err', {
        rotationId,
        error: reason,
      });
    await this.options.store.discardPending();
    this.pending = undefined;
    this.emit({ type: 'certificate-rejected', rotationId, reason });
  }

  /**
   * Settles a delivered but unproven certificate: prove it over a new connection and adopt it, or
   * report `crt_err` over a connection with the old certificate and forget it. Neither pair is thrown
   * away until the other one is known to work, so a lost acknowledgement cannot lock the device out.
   */
  private async resolveUnproven(rotationId: string, newFirst: boolean, reason: string): Promise<void> {
    this.proving = true;
    try {
      let tryNew = newFirst;
      let lastFailure = '';
      while (this.running) {
        const pending = this.pending;
        if (!pending?.certificatePem || pending.rotation.rotationId !== rotationId) return;
        if (tryNew) {
          const failure = await this.proveNew(rotationId, {
            privateKeyPem: pending.privateKeyPem,
            certificatePem: pending.certificatePem,
          });
          if (failure === undefined) return;
          lastFailure = failure;
        } else if (await this.reportFailure(rotationId, `${reason}: ${lastFailure || 'unknown failure'}`)) {
          return;
        }
        if (!tryNew) {
          await this.sleep(backoffDelay(this.backoff, this.attempt++, this.random));
          if (await this.waitWhileOffline()) continue;
        }
        tryNew = !tryNew;
      }
    } finally {
      this.proving = false;
      this.kickConnectLoop();
    }
  }

  /** Connects with the new pair and acknowledges over it; on success adopts it. Returns the failure reason. */
  private async proveNew(rotationId: string, pair: CredentialPair): Promise<string | undefined> {
    const client = await this.tryConnect(pair);
    if (!client) return `the connection with the new certificate failed (${this.lastConnectFailure})`;
    const certificateId = certificateIdOf(pair.certificatePem);
    try {
      await withTimeout(
        client.publishAsync(topicFor(this.thingName, 'crt_ack'), encodeMessage('crt_ack', { rotationId }), {
          qos: 1,
        }),
        this.timeoutMs,
        'crt_ack',
      );
    } catch (error) {
      this.dropClient(client);
      return new NewCertificateConnectError('crt_ack over the new certificate was not acknowledged', {
        cause: error,
      }).message;
    }
    this.emit({
      type: 'published',
      kind: 'crt_ack',
      topic: topicFor(this.thingName, 'crt_ack'),
      rotationId,
      certificateId,
    });
    if (!this.running) {
      // Stopped (or powered off) between the proof and the swap: the store still says
      // cert-received, and the next start settles it.
      this.dropClient(client);
      return undefined;
    }
    const committed = await this.options.store.commit(rotationId);
    const old = this.main;
    this.setActive(committed);
    this.completed = { rotationId, certificateId };
    this.pending = undefined;
    this.rotations += 1;
    this.main = undefined;
    if (old) this.dropClient(old);
    this.installMain(client);
    this.emit({ type: 'rotated', rotationId, certificateId });
    return undefined;
  }

  /** Sends crt_err over a connection with the old certificate; true once the broker has it. */
  private async reportFailure(rotationId: string, reason: string): Promise<boolean> {
    let client = this.main;
    if (!client?.connected) {
      client = await this.tryConnect(this.requireActive());
      if (!client) return false;
      this.installMain(client);
    }
    const error = reason.slice(0, 4096);
    try {
      await withTimeout(
        client.publishAsync(
          topicFor(this.thingName, 'crt_err'),
          encodeMessage('crt_err', { rotationId, error }),
          {
            qos: 1,
          },
        ),
        this.timeoutMs,
        'crt_err',
      );
    } catch {
      return false;
    }
    this.emit({
      type: 'published',
      kind: 'crt_err',
      topic: topicFor(this.thingName, 'crt_err'),
      rotationId,
      certificateId: this.activeCertificateId,
    });
    await this.options.store.discardPending();
    this.pending = undefined;
    this.emit({ type: 'certificate-rejected', rotationId, reason: error });
    return true;
  }

  private publish<K extends DeviceReplyKind>(
    client: MqttClient,
    certificateId: string,
    thingName: string,
    kind: K,
    message: MessageOf<K>,
  ): void {
    let topic: string;
    try {
      topic = topicFor(thingName, kind);
    } catch (error) {
      this.emitError(error);
      return;
    }
    client.publish(topic, encodeMessage(kind, message), { qos: 1 }, (error) => {
      if (error) this.emitError(error);
    });
    this.emit({ type: 'published', kind, topic, rotationId: message.rotationId, certificateId });
  }

  // --- time and events ----------------------------------------------------------------------------

  private after(ms: number, fn: () => void): void {
    const timer = this.clock.setTimer(this.clock.now() + ms, () => {
      this.timers.delete(timer);
      if (this.running) fn();
    });
    this.timers.add(timer);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (!this.running) {
        resolve();
        return;
      }
      const wake = (): void => {
        this.sleepers.delete(wake);
        resolve();
      };
      this.sleepers.add(wake);
      this.after(ms, wake);
    });
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

function waitForConnect(client: MqttClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onConnect = (): void => finish();
    const onError = (error: Error): void => finish(new MqttConnectError(error.message, { cause: error }));
    const onClose = (): void => finish(new MqttConnectError('the connection closed before CONNACK'));
    const timer = setTimeout(
      () => finish(new MqttConnectError(`no CONNACK within ${timeoutMs} ms`)),
      timeoutMs,
    );
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new AgentTimeoutError(`${what} timed out after ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
