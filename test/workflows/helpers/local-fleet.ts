import { afterAll, beforeAll } from 'vitest';
import type { FleetSimulator } from '../../../device/fleet/fleet-simulator.ts';
import type { SimulatedDevice } from '../../../device/fleet/simulated-device.ts';
import type { LocalAws } from '../../../local/stack/local-aws.ts';
import { fleetOn, provisionOne, startLocal, stopLocal, untilConnected } from '../../e2e/helpers.ts';

/** A file's local AWS and the one device fleet its tests run on it. */
export interface LocalFleet {
  readonly local: LocalAws;
  /** The fleet on the local AWS, built at its first use and stopped with the local AWS. */
  fleet(): Promise<FleetSimulator>;
  /** One healthy device named `<prefix>-0`, its certificate valid for `days`, connected on the started fleet. */
  connectedDevice(prefix: string, days: number): Promise<SimulatedDevice>;
}

/** The file's local AWS: started before its tests, stopped after them with its fleet. */
export function useLocalFleet(): LocalFleet {
  let env: { local: LocalAws; dir: string } | undefined;
  let fleet: FleetSimulator | undefined;
  beforeAll(async () => {
    env = await startLocal();
  });
  afterAll(async () => {
    await fleet?.stop();
    await stopLocal(env);
  });
  const local = (): LocalAws => {
    if (!env) throw new Error('the local AWS starts in beforeAll; use it inside a test');
    return env.local;
  };
  return {
    get local() {
      return local();
    },
    async fleet() {
      fleet ??= await fleetOn(local());
      return fleet;
    },
    async connectedDevice(prefix, days) {
      const started = await this.fleet();
      const device = await provisionOne(started, local(), prefix, days);
      await started.start();
      await untilConnected(started, device);
      return device;
    },
  };
}

/**
 * Resolves once `snapshot` reads the same four times in a row, 100 ms apart, so that late calls (a
 * reconnect handler, a redelivered reply, the outcome) have shown up in the counts it reads.
 */
export async function untilUnchanged(snapshot: () => string): Promise<void> {
  let last = snapshot();
  for (let quiet = 0; quiet < 4; ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const current = snapshot();
    quiet = current === last ? quiet + 1 : 0;
    last = current;
  }
}
