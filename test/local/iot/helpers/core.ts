/** Starts a local IoT Core in a fresh state directory, with SDK clients pointed at it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { afterEach } from 'vitest';
import { ManualClock } from '../../../../lib/clock.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../../local/config.ts';
import { LocalIotCore, type LocalIotCoreOptions } from '../../../../local/iot/iot-core.ts';

export interface TestCore {
  readonly core: LocalIotCore;
  readonly clock: ManualClock;
  readonly stateDir: string;
  readonly iot: IoTClient;
  readonly data: IoTDataPlaneClient;
  /** Stops the core and the clients; `keepState` leaves the directory for a restart. */
  close(keepState?: boolean): Promise<void>;
}

export const CLOCK_START = Date.UTC(2026, 0, 1);

type StartCoreOptions = Partial<LocalIotCoreOptions> & { stateDir?: string; clock?: ManualClock };

export async function startCore(options: StartCoreOptions = {}): Promise<TestCore> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'recert-iot-'));
  const clock = options.clock ?? new ManualClock(CLOCK_START);
  const core = new LocalIotCore({ generatedKeyKind: 'ec-p256', ...options, stateDir, clock });
  const endpoints = await core.start({ httpPort: 0, mqttPort: 0, host: '127.0.0.1' });
  const config = {
    endpoint: endpoints.http,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  };
  const iot = new IoTClient(config);
  const data = new IoTDataPlaneClient(config);
  return {
    core,
    clock,
    stateDir,
    iot,
    data,
    async close(keepState = false) {
      iot.destroy();
      data.destroy();
      await core.close();
      if (!keepState) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Registers an afterEach that closes every core started through the returned function. */
export function useCores(): (options?: StartCoreOptions) => Promise<TestCore> {
  const started: TestCore[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((t) => t.close()));
  });
  return async (options) => {
    const t = await startCore(options);
    started.push(t);
    return t;
  };
}
