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
  private current: DeviceAgent;
  private behaviour: DeviceBehaviour;

  /**
   * `createAgent` builds an agent over `store` with the given behaviour; a restart builds a new one
   * over the same store, as a rebooted device reads its credentials back from flash.
   */
  constructor(
    readonly thingName: string,
    readonly behaviourName: BehaviourName,
    readonly initialCertificateId: string,
    behaviour: DeviceBehaviour,
    private readonly createAgent: (behaviour: DeviceBehaviour) => DeviceAgent,
    private readonly store: CredentialStore,
  ) {
    this.behaviour = behaviour;
    this.current = this.build();
  }

  private build(): DeviceAgent {
    const agent = this.createAgent(this.behaviour);
    agent.onEvent((event) => this.observe(event));
    return agent;
  }

  /** The agent running now (a new one after each restart). */
  get agent(): DeviceAgent {
    return this.current;
  }

  start(): Promise<void> {
    return this.current.start();
  }

  stop(): Promise<void> {
    return this.current.stop();
  }

  /**
   * A power cut: the connection drops without DISCONNECT and the process state is gone; only what
   * the store had saved remains. Then the device boots again, recovering from its store.
   */
  async crashAndRestart(): Promise<void> {
    await this.current.stop();
    this.current = this.build();
    await this.current.start();
  }

  private observe(event: AgentEvent): void {
    if (event.type === 'certificate-rejected') this.rejected += 1;
    if (event.type === 'error') this.lastError = `${event.name}: ${event.message}`;
  }

  state(): DeviceState {
    const status: AgentStatus = this.current.status();
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
    return this.current.holdsWorkingCredentials();
  }

  /** The certificate and key the device holds now, for checks against the cloud's registry. */
  credentials(): Promise<{ certificatePem: string; privateKeyPem: string }> {
    return this.store.current();
  }

  /** Changes what the device does from now on (kept across restarts). */
  setBehaviour(behaviour: DeviceBehaviour): void {
    this.behaviour = behaviour;
    this.current.setBehaviour(behaviour);
  }

  goOffline(until: number): void {
    this.current.goOffline(until);
  }
}
