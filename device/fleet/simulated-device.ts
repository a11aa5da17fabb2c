import type { DeviceBehaviour } from '../agent/behaviour.ts';
import type { CredentialStore } from '../agent/credential-store.ts';
import type { AgentStatus, DeviceAgent } from '../agent/device-agent.ts';
import type { AgentEvent } from '../agent/events.ts';
import type { BehaviourName } from './behaviours.ts';

/** What the main job shows about one simulated device. */
export interface DeviceState {
  readonly thingName: string;
  readonly behaviour: string;
  readonly connected: boolean;
  /** True once the device adopted a new certificate at least once. */
  readonly rotated: boolean;
  readonly rotations: number;
  /** The certificate the device uses now, and the one it was provisioned with. */
  readonly certificateId: string;
  readonly initialCertificateId: string;
  readonly pendingRotationId?: string;
  readonly certificatesRejected: number;
  readonly lastError?: string;
}

/** One device of the simulated fleet: a real agent with its own MQTT client, certificate and key. */
export class SimulatedDevice {
  private rejected = 0;
  private lastError: string | undefined;

  constructor(
    readonly thingName: string,
    readonly behaviourName: BehaviourName,
    readonly initialCertificateId: string,
    readonly agent: DeviceAgent,
    private readonly store: CredentialStore,
  ) {
    agent.onEvent((event) => this.observe(event));
  }

  private observe(event: AgentEvent): void {
    if (event.type === 'certificate-rejected') this.rejected += 1;
    if (event.type === 'error') this.lastError = `${event.name}: ${event.message}`;
  }

  state(): DeviceState {
    const status: AgentStatus = this.agent.status();
    return {
      thingName: this.thingName,
      behaviour: status.behaviour,
      connected: status.connected,
      rotated: status.rotations > 0,
      rotations: status.rotations,
      certificateId: status.certificateId,
      initialCertificateId: this.initialCertificateId,
      ...(status.pendingRotationId !== undefined ? { pendingRotationId: status.pendingRotationId } : {}),
      certificatesRejected: this.rejected,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  /** True when the device's current key matches its current certificate. */
  holdsWorkingCredentials(): Promise<boolean> {
    return this.agent.holdsWorkingCredentials();
  }

  /** The certificate and key the device holds now, for checks against the cloud's registry. */
  credentials(): Promise<{ certificatePem: string; privateKeyPem: string }> {
    return this.store.current();
  }

  setBehaviour(behaviour: DeviceBehaviour): void {
    this.agent.setBehaviour(behaviour);
  }

  goOffline(until: number): void {
    this.agent.goOffline(until);
  }
}
