/**
 * IoT Core's MQTT message broker: MQTT 3.1.1 (aedes) over TLS 1.2+ with a client certificate.
 * A connection is accepted only for a registered, ACTIVE, currently valid certificate (on the shared
 * clock) whose policies allow iot:Connect for the client id; every publish, subscribe and delivery
 * is checked against those policies. What AWS IoT disconnects for, this broker disconnects for.
 */
import { randomUUID } from 'node:crypto';
import { type Server, TLSSocket } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { boundPort, listenOn } from '../../listen.ts';
import type { BusMessage, MessageBus } from '../interfaces.ts';
import { resourceArn } from '../policy/evaluate.ts';
import { isValidTopicName } from '../policy/topic-filter.ts';
import {
  DEFAULT_PERSISTENT_SESSION_EXPIRY_MS,
  InvalidTopicError,
  MAX_MQTT_PAYLOAD_BYTES,
  type MqttBrokerOptions,
  NotAuthorizedError,
  PAYLOAD_LIMIT_EXCEEDED,
  PayloadTooLargeError,
  PolicyDeniedError,
} from './broker-options.ts';
import { failClosed, isClientInitiated } from './client-facts.ts';
import { admissionOf } from './connect-admission.ts';
import {
  connectedEvent,
  connectedTopic,
  type DisconnectReason,
  disconnectedEvent,
  disconnectedTopic,
  type SessionFacts,
} from './lifecycle-events.ts';
import { allowedFor, publishDenial, subscribeDenial } from './policy-checks.ts';
import { restoreSessions, type SessionPersistence, saveSessions } from './session-snapshot.ts';
import { mutualTlsServer } from './tls-server.ts';

interface Session {
  readonly clientId: string;
  readonly certificateId: string;
  readonly sessionIdentifier: string;
  readonly ipAddress: string;
  versionNumber: number;
  /** Set when the broker itself ends the session, so the lifecycle event says why. */
  closeReason?: DisconnectReason;
  announced: boolean;
}

export class MqttBroker implements MessageBus {
  private readonly aedes: Aedes;
  private readonly server: Server;
  /** Live, accepted connections. */
  private readonly sessions = new Map<Client, Session>();
  /** Who each accepted client is, kept past disconnection for its last will. */
  private readonly identities = new WeakMap<Client, Session>();
  private readonly versions = new Map<string, number>();
  /** Client ids of persistent sessions whose client is offline, with when it left. */
  private readonly offlineSince = new Map<string, number>();
  private readonly listeners = new Set<(message: BusMessage) => void>();
  private readonly unsubscribeRegistry: Array<() => void> = [];
  /** CONNECT packets received (accepted or refused) and PUBLISH packets from clients. */
  private readonly received = { connects: 0, publishes: 0 };

  constructor(private readonly options: MqttBrokerOptions) {
    this.aedes = new Aedes({
      preConnect: (_client, packet, done) => {
        // An expired persistent session is gone: the client starts clean, queued messages dropped.
        const since = this.offlineSince.get(packet.clientId);
        const expiry = options.persistentSessionExpiryMs ?? DEFAULT_PERSISTENT_SESSION_EXPIRY_MS;
        if (!packet.clean && since !== undefined && this.options.clock.now() - since > expiry)
          packet.clean = true;
        done(null, true);
      },
      authenticate: (client, _username, _password, done) => {
        this.received.connects += 1;
        const refusal = failClosed(() => this.admit(client), 'authorization failed');
        if (refusal === undefined) done(null, true);
        else done(new NotAuthorizedError(refusal), false);
      },
      authorizePublish: (client, packet, done) => {
        if (client === null) return done(null);
        this.received.publishes += 1;
        // AWS IoT disconnects a client whose publish is over the limit, with reason CLIENT_ERROR.
        if (Buffer.byteLength(packet.payload) > MAX_MQTT_PAYLOAD_BYTES) {
          this.cutOff(client, PAYLOAD_LIMIT_EXCEEDED, 'CLIENT_ERROR');
          return done(new PayloadTooLargeError(PAYLOAD_LIMIT_EXCEEDED));
        }
        const denial = failClosed(
          () => publishDenial(this.options, this.identities.get(client), packet),
          'authorization failed',
        );
        if (denial === undefined) return done(null);
        this.deny(client, denial);
        done(new PolicyDeniedError(denial));
      },
      authorizeSubscribe: (client, subscription, done) => {
        const denial = failClosed(
          () => subscribeDenial(this.options, this.identities.get(client), subscription.topic),
          'authorization failed',
        );
        if (denial !== undefined) {
          this.deny(client, denial);
          return done(new PolicyDeniedError(denial));
        }
        // AWS IoT has no QoS 2: it grants at most QoS 1.
        done(null, { ...subscription, qos: subscription.qos === 0 ? 0 : 1 });
      },
      authorizeForward: (client, packet) => {
        if (packet.topic.startsWith('$SYS/')) return null;
        const session = this.sessions.get(client);
        if (!session) return null;
        const arn = resourceArn(this.options.partition, 'topic', packet.topic);
        const denial = failClosed(
          () => (allowedFor(this.options, session, 'iot:Receive', arn) ? undefined : 'denied'),
          'failed',
        );
        return denial === undefined ? packet : null;
      },
    });
    this.aedes.on('clientReady', (client) => this.onReady(client));
    this.aedes.on('clientDisconnect', (client) => this.onGone(client));
    this.aedes.on('keepaliveTimeout', (client) => {
      const session = this.sessions.get(client);
      if (session) session.closeReason ??= 'MQTT_KEEP_ALIVE_TIMEOUT';
    });
    this.aedes.on('publish', (packet, client) => {
      if (packet.topic.startsWith('$SYS/')) return;
      const session = client ? this.identities.get(client) : undefined;
      const message: BusMessage = {
        topic: packet.topic,
        payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
        qos: packet.qos === 0 ? 0 : 1,
        retain: packet.retain,
        receivedAt: this.options.clock.now(),
        ...(session ? { clientId: session.clientId, principal: session.certificateId } : {}),
      };
      for (const listener of this.listeners) {
        try {
          listener(message);
        } catch {
          // A subscriber's failure must not stop the broker or other subscribers.
        }
      }
    });
    this.server = mutualTlsServer(options.tls, (socket) => this.aedes.handle(socket));
    this.unsubscribeRegistry.push(
      options.registry.certificates.onChange((change) => {
        if (change.status === 'ACTIVE') return;
        for (const [client, session] of this.sessions) {
          if (session.certificateId !== change.certificateId) continue;
          session.closeReason = 'SERVER_INITIATED_DISCONNECT';
          this.options.onDenied?.({
            clientId: session.clientId,
            certificateId: session.certificateId,
            reason: `certificate is now ${change.status}`,
          });
          client.close();
        }
      }),
    );
  }

  async listen(port: number, host: string): Promise<number> {
    // aedes 1.x sets up its persistence and message queue here, before it can serve clients.
    await this.aedes.listen();
    const file = this.options.sessionFile;
    if (file !== undefined) {
      const restored = await restoreSessions(
        file,
        this.persistence(),
        this.options.clock.now(),
        this.options.persistentSessionExpiryMs ?? DEFAULT_PERSISTENT_SESSION_EXPIRY_MS,
        (reason) =>
          this.options.onDenied?.({ clientId: '', reason: `persistent sessions not restored: ${reason}` }),
      );
      for (const [clientId, since] of restored) this.offlineSince.set(clientId, since);
    }
    return listenOn(this.server, port, host);
  }

  port(): number {
    return boundPort(this.server, 'MQTT broker');
  }

  /**
   * Takes no more connections and closes the clients', so nothing more is acknowledged while the
   * services behind go: a device resends what it had in flight once the broker is back. Publishes to
   * offline persistent sessions are still queued for them until `close`.
   */
  async stopIntake(): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
    const now = this.options.clock.now();
    for (const [client, session] of this.sessions) {
      if (!client.clean) this.offlineSince.set(session.clientId, now);
    }
    for (const client of this.sessions.keys()) client.close();
    // The server's close ends once its sockets have; the clients' are closed above.
    await stopped;
  }

  async close(): Promise<void> {
    for (const off of this.unsubscribeRegistry) off();
    await this.stopIntake();
    if (this.options.sessionFile !== undefined) {
      // Closing clients settles their queues on the next turns; the snapshot reads them after.
      await new Promise((resolve) => setImmediate(resolve));
      await saveSessions(this.options.sessionFile, this.persistence(), this.offlineSince);
    }
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }

  subscribe(listener: (message: BusMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(message: {
    topic: string;
    payload: Buffer | string;
    qos?: 0 | 1;
    retain?: boolean;
  }): Promise<void> {
    if (!isValidTopicName(message.topic)) {
      return Promise.reject(new InvalidTopicError(`'${message.topic}' is not a valid topic name`));
    }
    const payload = typeof message.payload === 'string' ? Buffer.from(message.payload) : message.payload;
    // The service's own publishes (a rule's republish) are held to the same limit as a device's.
    if (payload.length > MAX_MQTT_PAYLOAD_BYTES) {
      return Promise.reject(new PayloadTooLargeError(PAYLOAD_LIMIT_EXCEEDED));
    }
    return new Promise((resolve, reject) => {
      this.aedes.publish(
        {
          cmd: 'publish',
          topic: message.topic,
          payload,
          qos: message.qos ?? 0,
          retain: message.retain ?? false,
          dup: false,
        },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }

  /** CONNECT and client PUBLISH packets received so far, for counting what a workload costs. */
  packetCounts(): { readonly connects: number; readonly publishes: number } {
    return { ...this.received };
  }

  /** Client ids with a live, accepted connection. */
  connectedClientIds(): string[] {
    return [...this.sessions.values()].map((s) => s.clientId);
  }

  /** aedes' persistence (its type declarations leave it untyped). */
  private persistence(): SessionPersistence {
    return Reflect.get(this.aedes, 'persistence') as SessionPersistence;
  }

  /** Returns why the connection is refused, or undefined to accept it. */
  private admit(client: Client): string | undefined {
    const clientId = client.id;
    const socket = client.conn;
    if (!(socket instanceof TLSSocket)) return 'not a TLS connection';
    const admission = admissionOf(client, socket, this.options);
    if (!admission.accepted) return this.refused(clientId, admission.certificateId, admission.reason);
    const { certificateId } = admission;
    // The broker closes the older connection with the same client id; its event says why.
    for (const [other, session] of this.sessions) {
      if (session.clientId === clientId && other !== client) session.closeReason = 'DUPLICATE_CLIENTID';
    }
    const version = (this.versions.get(clientId) ?? 0) + 1;
    this.versions.set(clientId, version);
    const session: Session = {
      clientId,
      certificateId,
      sessionIdentifier: randomUUID(),
      ipAddress: socket.remoteAddress ?? '',
      versionNumber: version,
      announced: false,
    };
    this.sessions.set(client, session);
    this.identities.set(client, session);
    // A socket that closes between CONNECT and CONNACK never reaches 'clientDisconnect'.
    socket.once('close', () => {
      setImmediate(() => {
        if (!session.announced && this.sessions.get(client) === session) this.sessions.delete(client);
      });
    });
    return undefined;
  }

  private refused(clientId: string, certificateId: string | undefined, reason: string): string {
    this.options.onDenied?.({ clientId, reason, ...(certificateId === undefined ? {} : { certificateId }) });
    return reason;
  }

  private deny(client: Client, reason: string): void {
    this.cutOff(client, reason, 'AUTHORIZATION_FAILURE');
  }

  /** Notes why the broker is about to close the client, for its lifecycle event and onDenied. */
  private cutOff(client: Client, reason: string, closeReason: DisconnectReason): void {
    const session = this.sessions.get(client);
    if (session) session.closeReason = closeReason;
    this.options.onDenied?.({
      clientId: client.id,
      reason,
      ...(session ? { certificateId: session.certificateId } : {}),
    });
  }

  private onReady(client: Client): void {
    const session = this.sessions.get(client);
    if (!session) return;
    this.offlineSince.delete(session.clientId);
    session.announced = true;
    void this.publish({
      topic: connectedTopic(session.clientId),
      payload: JSON.stringify(connectedEvent(facts(session), this.options.clock.now())),
      qos: 1,
    }).catch(() => undefined);
  }

  private onGone(client: Client): void {
    const session = this.sessions.get(client);
    if (!session) return;
    this.sessions.delete(client);
    if (!client.clean) this.offlineSince.set(session.clientId, this.options.clock.now());
    if (!session.announced) return;
    const reason: DisconnectReason =
      session.closeReason ?? (isClientInitiated(client) ? 'CLIENT_INITIATED_DISCONNECT' : 'CONNECTION_LOST');
    void this.publish({
      topic: disconnectedTopic(session.clientId),
      payload: JSON.stringify(disconnectedEvent(facts(session), this.options.clock.now(), reason)),
      qos: 1,
    }).catch(() => undefined);
  }
}

function facts(session: Session): SessionFacts {
  return {
    clientId: session.clientId,
    sessionIdentifier: session.sessionIdentifier,
    principalIdentifier: session.certificateId,
    ipAddress: session.ipAddress,
    versionNumber: session.versionNumber,
  };
}

export {
  DEFAULT_PERSISTENT_SESSION_EXPIRY_MS,
  InvalidTopicError,
  MAX_MQTT_PAYLOAD_BYTES,
  type MqttBrokerOptions,
  PAYLOAD_LIMIT_EXCEEDED,
  PayloadTooLargeError,
} from './broker-options.ts';
