/**
 * The local AWS IoT Core: registry, certificate authority, policies, the MQTT broker over mutual
 * TLS and the restJson1 server for the control plane and the data plane, on loopback, with state
 * in `<stateDir>/iot/`. Other parts (the rules engine, the audit) add their operations with
 * `addRoutes` and listen to the broker through `bus`.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.ts';
import { namedError } from '../../lib/named-error.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_HOST, LOCAL_REGION } from '../config.ts';
import type { AccessCheck } from '../iam/types.ts';
import { certificateRoutes } from './api/certificate-routes.ts';
import { dataPlaneRoutes } from './api/data-plane-routes.ts';
import { endpointRoutes } from './api/endpoint-routes.ts';
import { policyRoutes } from './api/policy-routes.ts';
import { principalRoutes } from './api/principal-routes.ts';
import { thingRoutes } from './api/things-routes.ts';
import { keepPort, keptPort } from './broker/kept-port.ts';
import { MqttBroker } from './broker/mqtt-broker.ts';
import type { KeyKind } from './ca/certificates.ts';
import { LocalCertificateAuthority } from './ca/local-ca.ts';
import { RestServer } from './http/rest-server.ts';
import type { BusMessage, MessageBus, RestRoute } from './interfaces.ts';
import { type ProvisionedDevice, type ProvisionOptions, provisionDevice } from './provision.ts';
import { ApiQuotas, type QuotaSetting } from './quotas/api-quotas.ts';
import type { Partition } from './registry/arns.ts';
import { AWS_DEFAULT_VALIDITY, type IssuedValidity } from './registry/certificates.ts';
import { IotRegistry } from './registry/iot-registry.ts';

export interface LocalIotCoreOptions {
  readonly stateDir: string;
  readonly clock: Clock;
  readonly region?: string;
  readonly accountId?: string;
  /** AWS IoT's default API rate quotas: off by default; `true` or per-operation overrides. */
  readonly quotas?: QuotaSetting;
  /** Validity of certificates the CA issues; AWS's (until the end of 2049) by default. */
  readonly issuedCertificateValidity?: IssuedValidity;
  /** Keys CreateKeysAndCertificate generates: RSA 2048 as AWS does, or EC P-256. */
  readonly generatedKeyKind?: KeyKind;
  /**
   * Emulates DetachThingPrincipal's eventual consistency: for this long (shared clock) the detached
   * link is still listed and still blocks DeleteCertificate / DeleteThing. 0 (immediate) by default.
   */
  readonly detachThingPrincipalDelayMs?: number;
  /** How long a disconnected persistent MQTT session survives (AWS: 1 hour by default). */
  readonly persistentSessionExpiryMs?: number;
  /** Failures that are the emulator's own fault (HTTP 500). */
  readonly onInternalError?: (error: unknown, operation: string) => void;
  /** Refused connections and cut-off sessions, with the reason. */
  readonly onDenied?: (event: { clientId: string; certificateId?: string; reason: string }) => void;
  /** Authenticates and authorizes each control- and data-plane request (IAM); none: all allowed. */
  readonly accessCheck?: AccessCheck;
}

export interface LocalIotCoreEndpoints {
  /** The IoT control plane and data plane (`endpoint` for the SDK clients). */
  readonly http: string;
  readonly mqttHost: string;
  readonly mqttPort: number;
  /** `mqtts://host:port` for mqtt.js. */
  readonly mqttUrl: string;
}

export class IotCoreNotStartedError extends namedError('IotCoreNotStartedError') {}

export class LocalIotCore {
  readonly partition: Partition;
  readonly registry: IotRegistry;
  private readonly quotas: ApiQuotas;
  private readonly rest: RestServer;
  private readonly listeners = new Set<(message: BusMessage) => void>();
  private broker: MqttBroker | undefined;
  private started: LocalIotCoreEndpoints | undefined;
  private caPromise: Promise<LocalCertificateAuthority> | undefined;
  private readonly caDir: string;
  /** The broker's packet counts when it closed, so counts stay readable after `close`. */
  private lastPackets: { readonly connects: number; readonly publishes: number } = {
    connects: 0,
    publishes: 0,
  };

  constructor(private readonly options: LocalIotCoreOptions) {
    this.partition = {
      region: options.region ?? LOCAL_REGION,
      accountId: options.accountId ?? LOCAL_ACCOUNT_ID,
    };
    this.caDir = join(options.stateDir, 'iot', 'ca');
    this.registry = new IotRegistry({
      dir: join(options.stateDir, 'iot', 'registry'),
      clock: options.clock,
      partition: this.partition,
      ca: () => this.ca(),
      issuedValidity: options.issuedCertificateValidity ?? AWS_DEFAULT_VALIDITY,
      keyKind: options.generatedKeyKind ?? 'rsa-2048',
      ...(options.detachThingPrincipalDelayMs === undefined
        ? {}
        : { detachThingPrincipalDelayMs: options.detachThingPrincipalDelayMs }),
    });
    this.quotas = new ApiQuotas(options.clock, options.quotas ?? false);
    this.rest = new RestServer({
      ...(options.onInternalError ? { onInternalError: options.onInternalError } : {}),
      ...(options.accessCheck ? { accessCheck: options.accessCheck } : {}),
    });
    this.addRoutes([
      ...thingRoutes(this.registry),
      ...policyRoutes(this.registry),
      ...certificateRoutes(this.registry, this.partition),
      ...principalRoutes(this.registry),
      ...endpointRoutes((type) => this.endpointAddress(type)),
      ...dataPlaneRoutes(this.bus),
    ]);
  }

  /** Every message the broker accepts; `publish` injects as the service. Usable before `start`. */
  readonly bus: MessageBus = {
    subscribe: (listener) => {
      this.listeners.add(listener);
      return () => this.listeners.delete(listener);
    },
    publish: (message) => {
      if (!this.broker) return Promise.reject(new IotCoreNotStartedError('IoT Core is not started'));
      return this.broker.publish(message);
    },
  };

  /** Adds operations to the restJson1 server (quotas apply to the ones AWS rate-limits). */
  addRoutes(routes: readonly RestRoute[]): void {
    this.rest.addRoutes(this.quotas.wrap(routes));
  }

  async start(listen: { httpPort: number; mqttPort: number; host?: string }): Promise<LocalIotCoreEndpoints> {
    if (this.started) return this.started;
    const host = listen.host ?? LOCAL_HOST;
    const ca = await this.ca();
    const broker = new MqttBroker({
      registry: this.registry,
      clock: this.options.clock,
      partition: this.partition,
      tls: {
        key: readFileSync(ca.paths.serverKeyPem, 'utf8'),
        cert: readFileSync(ca.paths.serverCertPem, 'utf8'),
        ca: ca.rootCaPem(),
      },
      ...(this.options.onDenied ? { onDenied: this.options.onDenied } : {}),
      ...(this.quotas.enabled ? { quotas: this.quotas } : {}),
      ...(this.options.persistentSessionExpiryMs === undefined
        ? {}
        : { persistentSessionExpiryMs: this.options.persistentSessionExpiryMs }),
      sessionFile: join(this.options.stateDir, 'iot', 'mqtt-sessions.json'),
    });
    broker.subscribe((message) => {
      for (const listener of this.listeners) {
        try {
          listener(message);
        } catch {
          // One listener's failure must not starve the others.
        }
      }
    });
    const httpPort = await this.rest.listen(listen.httpPort, host);
    const portFile = join(this.options.stateDir, 'iot', 'mqtt-port');
    const mqttPort = await broker.listen(await keptPort(listen.mqttPort, host, portFile), host);
    await keepPort(mqttPort, portFile);
    this.broker = broker;
    this.started = {
      http: `http://${host}:${httpPort}`,
      mqttHost: host,
      mqttPort,
      mqttUrl: `mqtts://${host}:${mqttPort}`,
    };
    return this.started;
  }

  get endpoints(): LocalIotCoreEndpoints {
    if (!this.started) throw new IotCoreNotStartedError('IoT Core is not started');
    return this.started;
  }

  /** PEM file of the root CA that signs the MQTT server certificate: what devices must trust. */
  get rootCaPath(): string {
    return join(this.caDir, 'root-ca.pem');
  }

  /** PEM file of the CA that signs the certificates this IoT Core issues. */
  get deviceCaPath(): string {
    return join(this.caDir, 'device-ca.pem');
  }

  /**
   * Calls received per operation: the restJson1 operations by name (data-plane `Publish` included),
   * plus `MQTT:Connect` (CONNECT packets) and `MQTT:Publish` (PUBLISH packets from clients).
   * Refused and throttled calls count, as they do against AWS's quotas.
   */
  apiCallCounts(): Record<string, number> {
    const counts = this.rest.callCounts();
    const packets = this.broker?.packetCounts() ?? this.lastPackets;
    if (packets.connects > 0) counts['MQTT:Connect'] = packets.connects;
    if (packets.publishes > 0) counts['MQTT:Publish'] = packets.publishes;
    return counts;
  }

  /** Client ids with a live MQTT connection. */
  connectedClientIds(): string[] {
    return this.broker?.connectedClientIds() ?? [];
  }

  /** Creates thing, keys, ACTIVE certificate, policy and attachments without going through HTTP. */
  provisionDevice(options: ProvisionOptions): Promise<ProvisionedDevice> {
    return provisionDevice(this.registry, options);
  }

  /** The broker stops acknowledging devices' messages: the first step of a shutdown. */
  async stopIntake(): Promise<void> {
    await this.broker?.stopIntake();
  }

  async close(): Promise<void> {
    if (this.broker) this.lastPackets = this.broker.packetCounts();
    await this.broker?.close();
    this.broker = undefined;
    await this.rest.close();
    this.started = undefined;
    this.registry.close();
  }

  private ca(): Promise<LocalCertificateAuthority> {
    this.caPromise ??= LocalCertificateAuthority.openOrCreate(this.caDir, this.options.clock);
    return this.caPromise;
  }

  private endpointAddress(endpointType: string): string {
    const endpoints = this.endpoints;
    return endpointType.startsWith('iot:Data')
      ? `${endpoints.mqttHost}:${endpoints.mqttPort}`
      : new URL(endpoints.http).host;
  }
}
