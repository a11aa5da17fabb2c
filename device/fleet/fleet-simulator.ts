import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.ts';
import { systemClock } from '../../lib/clock.ts';
import type { BackoffPolicy } from '../agent/backoff.ts';
import type { DeviceBehaviour } from '../agent/behaviour.ts';
import type { CredentialStore } from '../agent/credential-store.ts';
import type { KeyType } from '../agent/crypto.ts';
import { DeviceAgent } from '../agent/device-agent.ts';
import { writeFileDurably } from '../agent/durable-fs.ts';
import type { AgentEvent } from '../agent/events.ts';
import { FileCredentialStore } from '../agent/file-credential-store.ts';
import { MemoryCredentialStore } from '../agent/memory-credential-store.ts';
import { assignBehaviours, type BehaviourMix } from './behaviour-mix.ts';
import {
  type BehaviourName,
  type BehaviourSettings,
  createBehaviour,
  DEFAULT_BEHAVIOUR_SETTINGS,
  MALICIOUS_BEHAVIOURS,
} from './behaviours.ts';
import type { FleetProvisioner } from './provisioner.ts';
import { seededRandom } from './seeded-random.ts';
import { type DeviceState, SimulatedDevice } from './simulated-device.ts';

/** One device the fleet will have: its name, behaviour and first certificate's validity. */
export interface FleetDeviceSpec {
  readonly thingName: string;
  readonly behaviour: BehaviourName;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface FleetPlanOptions {
  readonly size: number;
  readonly mix: BehaviourMix;
  /** Thing names are `<prefix>-<index>` (default `sim`). */
  readonly prefix?: string;
  readonly seed?: number;
  /** The validity of each device's first certificate, by index and behaviour. */
  readonly validity: (index: number, behaviour: BehaviourName) => { notBefore: Date; notAfter: Date };
}

/** Lays out a fleet: names, a seed-determined behaviour per device, and certificate validities. */
export function planFleet(options: FleetPlanOptions): FleetDeviceSpec[] {
  const prefix = options.prefix ?? 'sim';
  const width = String(Math.max(0, options.size - 1)).length;
  return assignBehaviours(options.mix, options.size, options.seed ?? 1).map((behaviour, index) => ({
    thingName: `${prefix}-${String(index).padStart(width, '0')}`,
    behaviour,
    ...options.validity(index, behaviour),
  }));
}

export interface FleetOptions {
  readonly endpoint: { readonly host: string; readonly port: number };
  readonly serverCaPem: string;
  readonly issuerCaPem?: string;
  readonly provisioner: FleetProvisioner;
  readonly clock?: Clock;
  readonly seed?: number;
  readonly keyType?: KeyType;
  readonly timeoutMs?: number;
  readonly backoff?: BackoffPolicy;
  readonly keepaliveSeconds?: number;
  readonly behaviourSettings?: Partial<BehaviourSettings>;
  /** Keep each device's credentials in files under this directory instead of in memory. */
  readonly credentialsDir?: string;
}

export interface FleetSnapshot {
  readonly total: number;
  readonly connected: number;
  readonly rotated: number;
  readonly pending: number;
  readonly byBehaviour: Readonly<Record<string, { total: number; connected: number; rotated: number }>>;
}

export type FleetEventListener = (thingName: string, event: AgentEvent) => void;

/**
 * N simulated devices in one process, each a real MQTT client over mutual TLS with its own
 * certificate and key, each running the reference agent with a behaviour from the mix.
 */
export class FleetSimulator {
  private readonly byName = new Map<string, SimulatedDevice>();
  private readonly listeners = new Set<FleetEventListener>();
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(private readonly options: FleetOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = seededRandom(options.seed ?? 1);
  }

  onEvent(listener: FleetEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Provisions every device through the provisioner (at most `concurrency` at a time) and builds its
   * agent; nothing connects yet. Malicious devices abuse the identity of an honest neighbour.
   */
  async provision(specs: readonly FleetDeviceSpec[], concurrency = 8): Promise<SimulatedDevice[]> {
    const honest = specs.filter((spec) => !MALICIOUS_BEHAVIOURS.includes(spec.behaviour));
    const created: SimulatedDevice[] = [];
    await forEachLimited(specs, concurrency, async (spec, index) => {
      const provisioned = await this.options.provisioner.provision({
        thingName: spec.thingName,
        notBefore: spec.notBefore,
        notAfter: spec.notAfter,
        ...(this.options.keyType !== undefined ? { keyType: this.options.keyType } : {}),
      });
      const victim = honest.length > 0 ? honest[index % honest.length]?.thingName : undefined;
      const device = await this.createDevice(spec, provisioned, victim);
      created.push(device);
    });
    return created;
  }

  private async createDevice(
    spec: FleetDeviceSpec,
    provisioned: { certificatePem: string; privateKeyPem: string; certificateId: string },
    victimThingName: string | undefined,
  ): Promise<SimulatedDevice> {
    if (this.byName.has(spec.thingName)) throw new RangeError(`device ${spec.thingName} already exists`);
    const pair = { certificatePem: provisioned.certificatePem, privateKeyPem: provisioned.privateKeyPem };
    let store: CredentialStore;
    if (this.options.credentialsDir !== undefined) {
      const dir = join(this.options.credentialsDir, spec.thingName);
      const paths = {
        certificatePath: join(dir, 'device.cert.pem'),
        privateKeyPath: join(dir, 'device.key.pem'),
        stateDir: join(dir, 'state'),
      };
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFileDurably(paths.certificatePath, pair.certificatePem, 0o644);
      await writeFileDurably(paths.privateKeyPath, pair.privateKeyPem, 0o600);
      store = new FileCredentialStore(paths);
    } else {
      store = new MemoryCredentialStore(pair);
    }
    const settings: BehaviourSettings = {
      ...DEFAULT_BEHAVIOUR_SETTINGS,
      ...this.options.behaviourSettings,
      ...(victimThingName !== undefined && victimThingName !== spec.thingName ? { victimThingName } : {}),
    };
    const createAgent = (behaviour: DeviceBehaviour): DeviceAgent => {
      const agent = new DeviceAgent({
        thingName: spec.thingName,
        endpoint: this.options.endpoint,
        serverCaPem: this.options.serverCaPem,
        ...(this.options.issuerCaPem !== undefined ? { issuerCaPem: this.options.issuerCaPem } : {}),
        store,
        clock: this.clock,
        behaviour,
        random: this.random,
        ...(this.options.keyType !== undefined ? { keyType: this.options.keyType } : {}),
        ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
        ...(this.options.backoff !== undefined ? { backoff: this.options.backoff } : {}),
        ...(this.options.keepaliveSeconds !== undefined
          ? { keepaliveSeconds: this.options.keepaliveSeconds }
          : {}),
      });
      agent.onEvent((event) => {
        for (const listener of this.listeners) listener(spec.thingName, event);
      });
      return agent;
    };
    const device = new SimulatedDevice(
      spec.thingName,
      spec.behaviour,
      provisioned.certificateId,
      createBehaviour(spec.behaviour, settings),
      createAgent,
      store,
    );
    this.byName.set(spec.thingName, device);
    return device;
  }

  /**
   * Starts every agent, `concurrency` at a time, each waiting for its first connection (or its first
   * failed attempt, or an offline period) so the broker is not hit by every TLS handshake at once.
   */
  async start(concurrency = 16, firstAttemptTimeoutMs = 15_000): Promise<void> {
    await forEachLimited([...this.byName.values()], concurrency, async (device) => {
      const settled = firstAttempt(device, firstAttemptTimeoutMs);
      await device.start();
      await settled;
    });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.byName.values()].map((device) => device.stop()));
  }

  devices(): SimulatedDevice[] {
    return [...this.byName.values()];
  }

  device(thingName: string): SimulatedDevice | undefined {
    return this.byName.get(thingName);
  }

  states(): DeviceState[] {
    return this.devices().map((device) => device.state());
  }

  snapshot(): FleetSnapshot {
    const byBehaviour: Record<string, { total: number; connected: number; rotated: number }> = {};
    let connected = 0;
    let rotated = 0;
    let pending = 0;
    for (const device of this.byName.values()) {
      const state = device.state();
      const entry = byBehaviour[device.behaviourName] ?? { total: 0, connected: 0, rotated: 0 };
      entry.total += 1;
      if (state.connected) {
        entry.connected += 1;
        connected += 1;
      }
      if (state.rotated) {
        entry.rotated += 1;
        rotated += 1;
      }
      if (state.pendingRotationId !== undefined) pending += 1;
      byBehaviour[device.behaviourName] = entry;
    }
    return { total: this.byName.size, connected, rotated, pending, byBehaviour };
  }

  /** Every device whose current key does not match its current certificate (should be none). */
  async devicesWithoutWorkingCredentials(): Promise<string[]> {
    const broken: string[] = [];
    for (const device of this.byName.values()) {
      if (!(await device.holdsWorkingCredentials())) broken.push(device.thingName);
    }
    return broken;
  }
}

function firstAttempt(device: SimulatedDevice, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const unsubscribe = device.agent.onEvent((event) => {
      if (event.type === 'connected' || event.type === 'connect-failed' || event.type === 'offline') done();
    });
    function done(): void {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    }
  });
}

async function forEachLimited<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    for (;;) {
      const index = next;
      next += 1;
      const item = items[index];
      if (item === undefined) return;
      await task(item, index);
    }
  });
  await Promise.all(workers);
}
