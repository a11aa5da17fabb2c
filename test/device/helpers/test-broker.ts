import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server, TLSSocket } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import {
  type CloudToDeviceKind,
  encodeMessage,
  type MessageOf,
  parseTopic,
  topicFor,
} from '../../../workflows/rotate-device/protocol.ts';
import { type IssuedPair, TestPki } from './test-pki.ts';

/** A message a device published, with who sent it as IoT Core's rules engine would see it. */
export interface SeenMessage {
  readonly topic: string;
  readonly payload: string;
  readonly clientId: string;
  /** The certificate id (SHA-256 of the DER) of the connection it came over. */
  readonly principal: string;
  readonly thingName?: string;
  readonly kind?: string;
}

/**
 * The cloud side of the device tests until the local IoT Core exists: an aedes broker behind mutual
 * TLS on 127.0.0.1 that admits only registered certificates (like ACTIVE certificates in IoT Core),
 * records every device publish with its principal, and can send protocol messages to devices.
 */
export class TestBroker {
  readonly messages: SeenMessage[] = [];
  private readonly allowed = new Set<string>();
  private readonly principals = new WeakMap<Client, string>();
  private readonly waiters = new Set<() => void>();
  private readonly sockets = new Set<TLSSocket>();
  private readonly live = new Set<Client>();
  readonly connects: { clientId: string; principal: string; at: number }[] = [];

  private constructor(
    readonly pki: TestPki,
    private readonly aedes: Aedes,
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Starts on `port` (0: any free one); the same `pki` and port give a restarted broker. */
  static async start(pki?: TestPki, port = 0): Promise<TestBroker> {
    const authority = pki ?? (await TestPki.create());
    const serverPair = await authority.issueServer();
    const aedes = await Aedes.createBroker();
    const server = createServer(
      {
        key: serverPair.privateKeyPem,
        cert: serverPair.certificatePem,
        ca: authority.caCertificatePem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      aedes.handle,
    );
    // A client that fails the handshake must not take the server down.
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string')
      throw new Error('test broker is not listening on TCP');
    const broker = new TestBroker(authority, aedes, server, address.port);
    broker.wire();
    return broker;
  }

  private wire(): void {
    this.server.on('secureConnection', (socket) => {
      // MQTT packets are small: without this, Nagle and delayed ACKs add ~40 ms to every CONNACK.
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.aedes.authenticate = (client, _username, _password, done) => {
      const principal = principalOf(client);
      if (principal === undefined || !this.allowed.has(principal)) {
        const error = Object.assign(new Error('certificate not registered or not active'), { returnCode: 5 });
        done(error, false);
        return;
      }
      this.principals.set(client, principal);
      this.connects.push({ clientId: client.id, principal, at: Date.now() });
      done(null, true);
    };
    this.aedes.on('clientReady', (client) => this.live.add(client));
    this.aedes.on('clientDisconnect', (client) => this.live.delete(client));
    this.aedes.on('publish', (packet, client) => {
      if (!client) return;
      const parsed = parseTopic(packet.topic);
      this.messages.push({
        topic: packet.topic,
        payload: Buffer.from(packet.payload).toString('utf8'),
        clientId: client.id,
        principal: this.principals.get(client) ?? '',
        ...(parsed ? { thingName: parsed.thingName, kind: parsed.kind } : {}),
      });
      for (const wake of [...this.waiters]) wake();
    });
  }

  /**
   * The next PUBLISH of this kind is neither acknowledged nor taken: the broker cuts the device's
   * connection first, as a broker going down between receiving a message and its PUBACK would.
   */
  cutBeforeAck(kind: string): void {
    this.aedes.authorizePublish = (client, packet, done) => {
      if (client && parseTopic(packet.topic)?.kind === kind) {
        this.aedes.authorizePublish = (_c, _p, next) => next(null);
        client.conn.destroy();
        return;
      }
      done(null);
    };
  }

  /** Lets a certificate connect (ACTIVE). */
  allow(certificateId: string): void {
    this.allowed.add(certificateId);
  }

  /** Stops admitting a certificate (INACTIVE); existing connections stay, like IoT Core's. */
  revoke(certificateId: string): void {
    this.allowed.delete(certificateId);
  }

  async provisionDevice(thingName: string): Promise<IssuedPair> {
    const pair = await this.pki.issueDevice(thingName);
    this.allow(pair.certificateId);
    return pair;
  }

  async send<K extends CloudToDeviceKind>(thingName: string, kind: K, message: MessageOf<K>): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.aedes.publish(
        {
          cmd: 'publish',
          topic: topicFor(thingName, kind),
          payload: Buffer.from(encodeMessage(kind, message)),
          qos: 1,
          retain: false,
          dup: false,
        },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }

  /** Resolves with the first recorded message (from `fromIndex` on) that matches, or rejects on timeout. */
  waitForMessage(
    predicate: (message: SeenMessage) => boolean,
    timeoutMs = 10_000,
    fromIndex = 0,
  ): Promise<SeenMessage> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.messages.slice(fromIndex).find(predicate);
        if (!found) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      const wake = (): void => {
        check();
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      this.waiters.add(wake);
      check();
    });
  }

  /** Client ids and principals connected now. */
  connectedPrincipals(): Map<string, string> {
    const out = new Map<string, string>();
    for (const client of this.live) {
      const principal = this.principals.get(client);
      if (principal !== undefined) out.set(client.id, principal);
    }
    return out;
  }

  /**
   * Plays one rotation from the cloud side: csr_req, sign the CSR that came over the old
   * certificate, register the new certificate, crt_res, and wait for crt_ack over the new one.
   */
  async rotate(
    thingName: string,
    oldCertificateId: string,
    timeoutMs = 15_000,
  ): Promise<{ rotationId: string; certificateId: string; certificatePem: string }> {
    const rotationId = randomUUID();
    const start = this.messages.length;
    const csrMessage = await this.requestCsr(thingName, rotationId, {
      principal: oldCertificateId,
      timeoutMs,
    });
    const issued = await this.deliver(thingName, rotationId, csrMessage);
    await this.waitForMessage(
      (m) => m.topic === topicFor(thingName, 'crt_ack') && m.principal === issued.certificateId,
      timeoutMs,
      start,
    );
    return { rotationId, certificateId: issued.certificateId, certificatePem: issued.certificatePem };
  }

  /** Sends csr_req and waits for the device's csr_res to it (over `principal`, when given). */
  async requestCsr(
    thingName: string,
    rotationId: string,
    options: { principal?: string; timeoutMs?: number } = {},
  ): Promise<SeenMessage> {
    const start = this.messages.length;
    await this.send(thingName, 'csr_req', { rotationId });
    return this.waitForMessage(
      (m) =>
        m.topic === topicFor(thingName, 'csr_res') &&
        rotationIdOf(m.payload) === rotationId &&
        (options.principal === undefined || m.principal === options.principal),
      options.timeoutMs ?? 10_000,
      start,
    );
  }

  /** Signs a csr_res's CSR, lets the new certificate connect and sends it to the device as crt_res. */
  async deliver(thingName: string, rotationId: string, csrMessage: SeenMessage) {
    const csr = JSON.parse(csrMessage.payload) as { CSR: string };
    const issued = await this.pki.signCsr(csr.CSR);
    this.allow(issued.certificateId);
    await this.send(thingName, 'crt_res', {
      rotationId,
      certificatePem: issued.certificatePem,
      certificateId: issued.certificateId,
    });
    return issued;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function principalOf(client: Client): string | undefined {
  const socket = client.conn;
  if (!(socket instanceof TLSSocket)) return undefined;
  const certificate = socket.getPeerCertificate();
  if (!certificate?.raw) return undefined;
  return createHash('sha256').update(certificate.raw).digest('hex');
}

/** The rotationId of a device's reply, if it has one. */
function rotationIdOf(payload: string): unknown {
  try {
    return (JSON.parse(payload) as { rotationId?: unknown }).rotationId;
  } catch {
    return undefined;
  }
}
