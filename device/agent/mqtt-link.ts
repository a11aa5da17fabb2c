import mqtt, { type MqttClient } from 'mqtt';
import type { Clock, Timer } from '../../lib/clock.ts';
import { deviceInboxFilter } from '../../workflows/rotate-device/protocol.ts';
import { type BackoffPolicy, backoffDelay } from './backoff.ts';
import type { CredentialPair } from './credential-store.ts';
import { certificateIdOf } from './crypto.ts';
import { AgentTimeoutError, MqttConnectError } from './errors.ts';
import type { AgentEvent } from './events.ts';
import { UnacknowledgedPublishes } from './unacknowledged.ts';

/** Faults a simulated device injects into its link; a real device has none. */
export interface LinkFaults {
  /** Before each connection attempt: a clock time to stay offline until, or undefined to go ahead. */
  offlineUntil?(now: number): number | undefined;
  /** After each successful connection: clock milliseconds until the link drops, or undefined. */
  linkDropAfter?(random: () => number): number | undefined;
}

export interface MqttLinkOptions {
  readonly thingName: string;
  readonly endpoint: { readonly host: string; readonly port: number };
  readonly serverCaPem: string;
  readonly servername?: string;
  readonly keepaliveSeconds: number;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly backoff: BackoffPolicy;
  readonly onMessage: (topic: string, payload: Buffer) => void;
  readonly emit: (event: AgentEvent) => void;
}

/**
 * The device's MQTT link: one main connection with the active certificate, kept up forever with
 * capped exponential backoff and jitter. Sessions are persistent (clean off, client id = thing name),
 * so the broker keeps the inbox subscription and queued QoS 1 messages while the device is away.
 * While held, it does not reconnect on its own: a rotation is using the client id.
 */
export class MqttLink {
  private running = false;
  private held = false;
  private loopRunning = false;
  private attempt = 0;
  private main: MqttClient | undefined;
  private credentials: CredentialPair | undefined;
  private faults: LinkFaults = {};
  private offlineUntilAt = 0;
  /** The last failure reported since the last connection, so a failing endpoint is logged once. */
  private reportedFailure: string | undefined;
  lastFailure = '';
  /** Whether the last failed attempt was refused by the broker (CONNACK or TLS), not unreachable. */
  lastFailureRefused = false;
  private readonly clients = new Set<MqttClient>();
  private readonly clientCertificates = new WeakMap<MqttClient, string>();
  private readonly unacknowledged = new UnacknowledgedPublishes();
  private readonly timers = new Set<Timer>();
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly options: MqttLinkOptions) {}

  get connected(): boolean {
    return this.main?.connected === true;
  }

  get isRunning(): boolean {
    return this.running;
  }

  setFaults(faults: LinkFaults): void {
    this.faults = faults;
  }

  /** The pair the main connection uses from now on (after a rotation). */
  setCredentials(pair: CredentialPair): void {
    this.credentials = pair;
  }

  /** Starts keeping the main connection up, unless `held` (a rotation settles first). */
  start(pair: CredentialPair, held: boolean): void {
    this.credentials = pair;
    this.running = true;
    this.held = held;
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) this.options.clock.clearTimer(timer);
    this.timers.clear();
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
    const clients = [...this.clients];
    this.clients.clear();
    this.main = undefined;
    await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
  }

  /** Stops reconnecting on its own until `release`. */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    this.kick();
  }

  /** Drops the link now and stays offline until the clock reaches `until`. */
  goOffline(until: number): void {
    this.offlineUntilAt = until;
    this.options.emit({ type: 'offline', until });
    this.main?.stream?.destroy();
  }

  /**
   * Fire-and-forget QoS 1 publish over the main connection; false when there is none. Until the
   * broker acknowledges it, it is sent again whenever the same certificate connects again.
   */
  publish(topic: string, payload: string, onError: (error: Error) => void): boolean {
    const main = this.main;
    if (!main) return false;
    const pending = this.unacknowledged.add({
      certificatePem: this.clientCertificates.get(main) ?? '',
      topic,
      payload,
      onError,
    });
    main.publish(topic, payload, { qos: 1 }, (error) => {
      // A connection that closed first leaves the message to be sent again.
      if (error && !main.connected) return;
      this.unacknowledged.acknowledged(pending);
      if (error) onError(error);
    });
    return true;
  }

  /** Publishes at QoS 1 and resolves once the broker acknowledged it. */
  async publishConfirmed(client: MqttClient, topic: string, payload: string, what: string): Promise<void> {
    await withTimeout(client.publishAsync(topic, payload, { qos: 1 }), this.options.timeoutMs, what);
  }

  /** The main connection, connecting with the active pair first if needed; undefined if that fails. */
  async ensureMain(): Promise<MqttClient | undefined> {
    if (this.main?.connected) return this.main;
    const pair = this.credentials;
    if (!pair) return undefined;
    const client = await this.open(pair);
    if (client) this.adopt(client);
    return client;
  }

  /** A connected, subscribed client with `pair`, or undefined when the attempt failed (reported). */
  async open(pair: CredentialPair): Promise<MqttClient | undefined> {
    if (!this.running) return undefined;
    let client: MqttClient | undefined;
    try {
      client = this.createClient(pair);
      const sessionPresent = await waitForConnect(client, this.options.timeoutMs);
      // A resumed session still holds the subscription; a new one needs it before anything is sent.
      if (!sessionPresent) {
        await withTimeout(
          client.subscribeAsync(deviceInboxFilter(this.options.thingName), { qos: 1 }),
          this.options.timeoutMs,
          'subscribe',
        );
      }
      if (!this.running) {
        // stop() ran while this attempt was under way; it must not leave a live connection behind.
        this.drop(client);
        return undefined;
      }
      return client;
    } catch (error) {
      this.lastFailure = error instanceof Error ? error.message : String(error);
      this.lastFailureRefused = isRefusal(error);
      if (this.reportedFailure !== this.lastFailure) {
        this.reportedFailure = this.lastFailure;
        this.options.emit({
          type: 'connect-failed',
          certificateId: safeCertificateId(pair.certificatePem),
          reason: this.lastFailure,
        });
      }
      if (client) this.drop(client);
      return undefined;
    }
  }

  /** Makes `client` the main connection, closing the previous one. */
  adopt(client: MqttClient): void {
    const old = this.main;
    this.main = client;
    if (old && old !== client) this.drop(old);
    if (!client.connected) {
      // It closed between its SUBACK and now, when its close event could not yet count.
      this.onClose(client);
      return;
    }
    this.attempt = 0;
    this.reportedFailure = undefined;
    this.options.emit({
      type: 'connected',
      certificateId: this.credentials ? safeCertificateId(this.credentials.certificatePem) : '',
    });
    for (const message of this.unacknowledged.takeFor(this.clientCertificates.get(client))) {
      this.publish(message.topic, message.payload, message.onError);
    }
    const dropAfter = this.faults.linkDropAfter?.(this.options.random);
    if (dropAfter !== undefined) {
      this.after(dropAfter, () => {
        if (this.main === client) {
          this.options.emit({ type: 'link-dropped' });
          client.stream?.destroy();
        }
      });
    }
  }

  drop(client: MqttClient): void {
    this.clients.delete(client);
    client.end(true);
  }

  /** One backoff pause, then the offline period if a fault imposes one. */
  async pause(): Promise<void> {
    await this.sleep(backoffDelay(this.options.backoff, this.attempt++, this.options.random));
    await this.waitWhileOffline();
  }

  private kick(): void {
    if (this.loopRunning || !this.running || this.held || this.main) return;
    this.loopRunning = true;
    void this.connectLoop().finally(() => {
      this.loopRunning = false;
    });
  }

  private async connectLoop(): Promise<void> {
    while (this.running && !this.main && !this.held) {
      if (await this.waitWhileOffline()) continue;
      const pair = this.credentials;
      const client = pair ? await this.open(pair) : undefined;
      if (!this.running) {
        if (client) this.drop(client);
        return;
      }
      if (client) {
        if (this.held) {
          // A rotation took over the link while this attempt was under way.
          this.drop(client);
          return;
        }
        this.adopt(client);
        return;
      }
      await this.sleep(backoffDelay(this.options.backoff, this.attempt++, this.options.random));
    }
  }

  /** Returns true after waiting, so the caller re-checks everything. */
  private async waitWhileOffline(): Promise<boolean> {
    const now = this.options.clock.now();
    const until = Math.max(this.offlineUntilAt, this.faults.offlineUntil?.(now) ?? 0);
    if (until <= now) return false;
    this.options.emit({ type: 'offline', until });
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
      clientId: this.options.thingName,
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: this.options.timeoutMs,
      keepalive: this.options.keepaliveSeconds,
      ...(this.options.servername !== undefined ? { servername: this.options.servername } : {}),
    });
    this.clients.add(client);
    this.clientCertificates.set(client, pair.certificatePem);
    client.on('message', (topic, payload) => this.options.onMessage(topic, payload));
    client.on('close', () => this.onClose(client));
    // Errors surface through open and publish; the listener keeps them from being unhandled.
    client.on('error', () => undefined);
    return client;
  }

  private onClose(client: MqttClient): void {
    if (client !== this.main) return;
    this.main = undefined;
    this.drop(client);
    this.options.emit({ type: 'disconnected' });
    if (this.running && !this.held) {
      // A short pause first, so a broker that kicks us does not see a reconnect storm.
      const delay = backoffDelay(this.options.backoff, this.attempt++, this.options.random);
      this.after(delay, () => this.kick());
    }
  }

  private after(ms: number, fn: () => void): void {
    const timer = this.options.clock.setTimer(this.options.clock.now() + ms, () => {
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
}

function safeCertificateId(certificatePem: string): string {
  try {
    return certificateIdOf(certificatePem);
  } catch {
    return '';
  }
}

/**
 * A broker that answered no (a CONNACK return code, a TLS alert about the certificate), as opposed
 * to one that could not be reached or timed out: only the former says something about the certificate.
 */
function isRefusal(error: unknown): boolean {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (!(cause instanceof Error)) return false;
  const code: unknown = Reflect.get(cause, 'code');
  if (typeof code === 'number') return code > 0;
  if (typeof code === 'string' && code.startsWith('ERR_SSL')) return true;
  return /not authori[sz]ed|certificate|alert/i.test(cause.message);
}

/** Resolves with CONNACK's session-present flag. */
function waitForConnect(client: MqttClient, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error?: Error, sessionPresent = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
      if (error) reject(error);
      else resolve(sessionPresent);
    };
    const onConnect = (connack: { sessionPresent?: boolean }): void =>
      finish(undefined, connack.sessionPresent === true);
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
