import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import { afterEach, expect } from 'vitest';
import type { BackoffPolicy } from '../../device/agent/backoff.ts';
import type { BehaviourName, BehaviourSettings } from '../../device/fleet/behaviours.ts';
import type { FleetDeviceSpec, FleetSimulator } from '../../device/fleet/fleet-simulator.ts';
import type { SimulatedDevice } from '../../device/fleet/simulated-device.ts';
import { LocalAws, type LocalAwsOptions } from '../../local/stack/local-aws.ts';
import { eventually, fleetOn, rotationRecord, startLocal, stopLocal } from './helpers.ts';
import { fleetInvariantViolations } from './invariants.ts';

const DAY = 86_400_000;

export interface Scenario {
  readonly env: { local: LocalAws; dir: string };
  readonly local: LocalAws;
  readonly fleet: FleetSimulator;
  readonly devices: readonly SimulatedDevice[];
}

export interface ScenarioOptions {
  /** One device per entry, named `<prefix>-<index>`, its certificate expiring in `expiresInDays`. */
  readonly behaviours: readonly BehaviourName[];
  readonly prefix?: string;
  /** Days until every certificate expires (20 by default), or a device's days by its index. */
  readonly expiresInDays?: number | ((index: number) => number);
  readonly local?: Partial<LocalAwsOptions>;
  readonly behaviourSettings?: Partial<BehaviourSettings>;
  /** Keep device credentials in files (under the scenario's temporary directory) instead of memory. */
  readonly credentialFiles?: boolean;
  /** The devices' reconnect backoff (the agent's default otherwise). */
  readonly backoff?: BackoffPolicy;
}

/** A local AWS with a connected fleet of the given behaviours, every certificate inside the threshold. */
export async function startScenario(options: ScenarioOptions): Promise<Scenario> {
  const env = await startLocal(options.local);
  try {
    const { local } = env;
    const now = local.clock.now();
    const fleet = await fleetOn(local, {
      ...(options.behaviourSettings ? { behaviourSettings: options.behaviourSettings } : {}),
      ...(options.credentialFiles ? { credentialsDir: join(env.dir, 'devices') } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
    const expiry = options.expiresInDays ?? 20;
    const days = typeof expiry === 'number' ? () => expiry : expiry;
    const specs: FleetDeviceSpec[] = options.behaviours.map((behaviour, index) => ({
      thingName: `${options.prefix ?? 'e2e'}-${index}`,
      behaviour,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + days(index) * DAY),
    }));
    const devices = await fleet.provision(specs);
    await fleet.start();
    // provision() fills its list in completion order; give it back in spec order.
    const ordered = specs.map((spec) => {
      const device = devices.find((d) => d.thingName === spec.thingName);
      if (!device) throw new Error(`device ${spec.thingName} was not provisioned`);
      return device;
    });
    return { env, local, fleet, devices: ordered };
  } catch (error) {
    await stopLocal(env);
    throw error;
  }
}

/** The device of a one-device scenario. */
export function onlyDevice(scenario: Scenario): SimulatedDevice {
  const [device] = scenario.devices;
  if (!device) throw new Error('the scenario has no device');
  return device;
}

export async function stopScenario(scenario: Scenario | undefined): Promise<void> {
  if (!scenario) return;
  await scenario.fleet.stop();
  await stopLocal(scenario.env);
}

/**
 * Starts each test's scenario; after the test the fleet must hold the rotation invariants, and the
 * scenario is stopped.
 */
export function scenarioPerTest(): (options: ScenarioOptions) => Promise<Scenario> {
  let scenario: Scenario | undefined;
  afterEach(async () => {
    if (scenario) expect(await fleetInvariantViolations(scenario.local, scenario.fleet)).toEqual([]);
    await stopScenario(scenario);
    scenario = undefined;
  });
  return async (options) => {
    scenario = await startScenario(options);
    return scenario;
  };
}

/**
 * Waits of `seconds` for each answer, the CSR asked for twice and an unacknowledged certificate not
 * resent: a silent device's rotation fails within seconds.
 */
export function shortWaits(seconds: number) {
  return {
    AckTimeoutSeconds: seconds,
    AckRetryMaxAttempts: 0,
    CsrTimeoutSeconds: seconds,
    CsrRetryIntervalSeconds: 1,
    CsrRetryMaxAttempts: 1,
  };
}

/** A scenario of one device that goes silent after its first CSR, under `shortWaits(2)`. */
export async function startSilentDevice(
  start: (options: ScenarioOptions) => Promise<Scenario>,
  prefix: string,
): Promise<{ scenario: Scenario; device: SimulatedDevice }> {
  const scenario = await start({ behaviours: ['silent'], prefix, local: { settings: shortWaits(2) } });
  return { scenario, device: onlyDevice(scenario) };
}

/**
 * Workflow timeouts under which a reply that a stop of the local AWS cut off is recovered by the
 * workflow's own timeout and repeated request: short next to the defaults, long next to a device's
 * answer on a busy machine.
 */
export function restartSettings(answerTimeoutSeconds: number) {
  return {
    CsrTimeoutSeconds: answerTimeoutSeconds,
    CsrRetryIntervalSeconds: 1,
    AckTimeoutSeconds: answerTimeoutSeconds,
    AckRetryIntervalSeconds: 1,
    AckRetryMaxAttempts: 5,
  };
}

export interface RestartableScenario {
  start(options: ScenarioOptions): Promise<Scenario>;
  /**
   * Stops the scenario's local AWS and starts it again on the same state directory. The devices know
   * one MQTT endpoint, so the broker comes back on its port; the HTTP services take new ports, so an
   * invocation the stop cut off (it keeps running in this process) cannot reach the new services.
   */
  restart(options?: Partial<LocalAwsOptions>): Promise<LocalAws>;
}

/** A scenario per test that the test may restart; both runs are stopped after the test. */
export function restartableScenarioPerTest(): RestartableScenario {
  let scenario: Scenario | undefined;
  let restarted: LocalAws | undefined;
  afterEach(async () => {
    await scenario?.fleet.stop();
    await restarted?.close();
    if (scenario) await rm(scenario.env.dir, { recursive: true, force: true });
    scenario = undefined;
    restarted = undefined;
  });
  return {
    start: async (options) => {
      scenario = await startScenario(options);
      return scenario;
    },
    restart: async (options = {}) => {
      if (!scenario) throw new Error('no scenario to restart');
      const ports = {
        mqtt: scenario.local.endpoints.mqtt.port,
        stepFunctions: 0,
        iot: 0,
        dynamodb: 0,
        events: 0,
      };
      await scenario.local.close();
      restarted = await LocalAws.start({ stateDir: scenario.env.dir, ports, ...options });
      return restarted;
    },
  };
}

/** Starts the Device Defender audit whose notification fans out one rotation per expiring certificate. */
export async function runAudit(local: LocalAws): Promise<void> {
  await local.clients.iot.send(
    new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] }),
  );
}

/** Waits until the device is connected with the given certificate, and returns its state. */
export function connectedWith(device: SimulatedDevice, certificateId: string) {
  return eventually(`${device.thingName} connected with ${certificateId}`, async () => {
    const state = device.state();
    return state.connected && state.certificateId === certificateId ? state : undefined;
  });
}

/** Waits until the thing's rotation record has one of `statuses`, and returns it. */
export function recordWithStatus(
  local: LocalAws,
  thingName: string,
  statuses: readonly string[],
  timeoutMs = 40_000,
): Promise<Record<string, unknown>> {
  return eventually(
    `${thingName} rotation ${statuses.join('/')}`,
    async () => {
      const record = await rotationRecord(local, thingName);
      return record && statuses.includes(String(record.status)) ? record : undefined;
    },
    timeoutMs,
  );
}
