import {
  AttachPolicyCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  DeleteCertificateCommand,
  DeletePolicyCommand,
  DetachPolicyCommand,
  type IoTClient,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import mqtt, { type MqttClient } from 'mqtt';
import { deviceInboxFilter, type MessageKind, parseTopic } from '../../workflows/rotate-device/protocol.ts';

/** One message the observer saw: a protocol message of the thing, or a lifecycle event of its client id. */
export type Observed =
  | { readonly seq: number; readonly kind: MessageKind; readonly body: Record<string, unknown> }
  | {
      readonly seq: number;
      readonly kind: 'connected' | 'disconnected';
      readonly principal: string;
      readonly reason?: string;
    };

export interface ObserverSetup {
  readonly iot: IoTClient;
  readonly thingName: string;
  readonly region: string;
  readonly accountId: string;
  readonly endpoint: { readonly host: string; readonly port: number };
  readonly caPem: string;
  readonly timeoutMs: number;
}

const LIFECYCLE = '$aws/events/presence';

/**
 * The kit's own MQTT client on the cloud side: an ACTIVE certificate and a policy of its own let it
 * read the thing's management topics and its lifecycle events (which carry the certificate each
 * connection used), and take over the thing's client id to drop the device's connection.
 */
export class BrokerObserver {
  private readonly log: Observed[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly setup: ObserverSetup,
    private readonly policyName: string,
    private readonly certificate: { id: string; arn: string; pem: string; key: string },
    private client: MqttClient | undefined,
  ) {}

  static async start(setup: ObserverSetup): Promise<BrokerObserver> {
    const { iot, thingName } = setup;
    // Policy names take no ':', which thing names may hold.
    const policyName =
      `recert-conformance-${thingName.replaceAll(':', '_')}-${Date.now().toString(36)}`.slice(-128);
    await iot.send(
      new CreatePolicyCommand({ policyName, policyDocument: JSON.stringify(observerPolicy(setup)) }),
    );
    const created = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const { certificateId, certificateArn, certificatePem, keyPair } = created;
    if (!certificateId || !certificateArn || !certificatePem || !keyPair?.PrivateKey) {
      await iot.send(new DeletePolicyCommand({ policyName }));
      throw new Error('CreateKeysAndCertificate returned no certificate');
    }
    const certificate = {
      id: certificateId,
      arn: certificateArn,
      pem: certificatePem,
      key: keyPair.PrivateKey,
    };
    const observer = new BrokerObserver(setup, policyName, certificate, undefined);
    try {
      await iot.send(new AttachPolicyCommand({ policyName, target: certificateArn }));
      observer.client = await observer.connect(`recert-conformance-${thingName}`.slice(0, 128), true);
      const filters = [deviceInboxFilter(thingName), `${LIFECYCLE}/+/${thingName}`];
      await observer.client.subscribeAsync(filters, { qos: 1 });
    } catch (error) {
      await observer.close();
      throw error;
    }
    return observer;
  }

  /** Everything seen so far, in order. */
  get seen(): readonly Observed[] {
    return this.log;
  }

  /** The sequence number the next message will get: a mark to look after. */
  mark(): number {
    return this.log.length;
  }

  /** Resolves with the first message after `from` that `match` accepts, or undefined on `signal`. */
  async next(
    from: number,
    match: (o: Observed) => boolean,
    signal: AbortSignal,
  ): Promise<Observed | undefined> {
    for (;;) {
      const found = this.log.slice(from).find(match);
      if (found) return found;
      if (signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.waiters.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.waiters.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  /**
   * Drops the device's connection the way the broker does when another client takes its client id
   * (DUPLICATE_CLIENTID). The takeover keeps the persistent session (clean session off) and leaves at
   * once, so the device finds its subscriptions and queued messages when it reconnects.
   */
  async dropDevice(): Promise<void> {
    const takeover = await this.connect(this.setup.thingName, false);
    await takeover.endAsync(true);
  }

  async close(): Promise<void> {
    const { iot } = this.setup;
    const quietly = async (call: () => Promise<unknown>): Promise<void> => {
      await call().catch(() => undefined);
    };
    if (this.client) await quietly(() => (this.client as MqttClient).endAsync(true));
    const { arn, id } = this.certificate;
    await quietly(() => iot.send(new DetachPolicyCommand({ policyName: this.policyName, target: arn })));
    await quietly(() => iot.send(new UpdateCertificateCommand({ certificateId: id, newStatus: 'INACTIVE' })));
    await quietly(() => iot.send(new DeleteCertificateCommand({ certificateId: id })));
    await quietly(() => iot.send(new DeletePolicyCommand({ policyName: this.policyName })));
  }

  private async connect(clientId: string, clean: boolean): Promise<MqttClient> {
    const { endpoint, caPem, timeoutMs } = this.setup;
    const client = mqtt.connect({
      protocol: 'mqtts',
      host: endpoint.host,
      port: endpoint.port,
      key: this.certificate.key,
      cert: this.certificate.pem,
      ca: caPem,
      rejectUnauthorized: true,
      protocolVersion: 4,
      clientId,
      clean,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
    });
    client.on('error', () => undefined);
    if (clean) client.on('message', (topic, payload) => this.record(topic, payload));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('close', () => reject(new Error(`the broker refused the kit's connection as ${clientId}`)));
    });
    return client;
  }

  private record(topic: string, payload: Buffer): void {
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(payload.toString('utf8'));
      body = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch {
      body = {};
    }
    const seq = this.log.length;
    const lifecycle = new RegExp(`^\\${LIFECYCLE}/(connected|disconnected)/`).exec(topic);
    if (lifecycle) {
      const principal = String(body.principalIdentifier ?? '').toLowerCase();
      // The kit's own takeover connections are not the device's.
      if (principal === this.certificate.id) return;
      const kind = lifecycle[1] as 'connected' | 'disconnected';
      const reason = typeof body.disconnectReason === 'string' ? { reason: body.disconnectReason } : {};
      this.log.push({ seq, kind, principal, ...reason });
    } else {
      const parsed = parseTopic(topic);
      if (!parsed) return;
      this.log.push({ seq, kind: parsed.kind, body });
    }
    for (const wake of [...this.waiters]) wake();
  }
}

function observerPolicy(setup: ObserverSetup): object {
  const arn = `arn:aws:iot:${setup.region}:${setup.accountId}`;
  const thing = setup.thingName;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: [`${arn}:client/recert-conformance-${thing}`, `${arn}:client/${thing}`],
      },
      {
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: [
          `${arn}:topicfilter/management/topic/${thing}/+`,
          `${arn}:topicfilter/${LIFECYCLE}/+/${thing}`,
        ],
      },
      {
        Effect: 'Allow',
        Action: 'iot:Receive',
        Resource: [`${arn}:topic/management/topic/${thing}/*`, `${arn}:topic/${LIFECYCLE}/*/${thing}`],
      },
    ],
  };
}
