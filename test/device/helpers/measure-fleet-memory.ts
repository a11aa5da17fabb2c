import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseBehaviourMix } from '../../../device/fleet/behaviour-mix.ts';
import { FleetSimulator, planFleet } from '../../../device/fleet/fleet-simulator.ts';
import type { FleetProvisioner, ProvisionedDevice } from '../../../device/fleet/provisioner.ts';

/**
 * Measures the memory a simulated device costs: `node --expose-gc --import tsx
 * test/device/helpers/measure-fleet-memory.ts [size]`. The broker runs in a child process, so
 * the figures are the simulator's alone. Prints one JSON line.
 */
const Provisioned = z.object({
  type: z.literal('provisioned'),
  id: z.number(),
  pair: z.object({ certificatePem: z.string(), privateKeyPem: z.string(), certificateId: z.string() }),
});

const size = Number(process.argv[2] ?? '1000');
const gc = globalThis.gc;

function settle(): void {
  gc?.();
  gc?.();
}

const child = fork(fileURLToPath(new URL('./broker-process.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const pending = new Map<number, (pair: ProvisionedDevice) => void>();
let nextId = 0;
const ready = new Promise<{ port: number; caPem: string }>((resolve) => {
  child.on('message', (message: unknown) => {
    if (typeof message !== 'object' || message === null || !('type' in message)) return;
    if (message.type === 'ready' && 'port' in message && 'caPem' in message) {
      resolve({ port: Number(message.port), caPem: String(message.caPem) });
    }
    const provisioned = Provisioned.safeParse(message);
    if (provisioned.success) {
      pending.get(provisioned.data.id)?.({ thingName: '', ...provisioned.data.pair });
      pending.delete(provisioned.data.id);
    }
  });
});
const { port, caPem } = await ready;
const provisioner: FleetProvisioner = {
  provision: (request) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, (pair) => resolve({ ...pair, thingName: request.thingName }));
      child.send({ type: 'provision', id, thingName: request.thingName });
    }),
};

settle();
const before = process.memoryUsage();
const fleet = new FleetSimulator({
  endpoint: { host: '127.0.0.1', port },
  serverCaPem: caPem,
  provisioner,
  timeoutMs: 30_000,
  keepaliveSeconds: 600,
});
const specs = planFleet({
  size,
  mix: parseBehaviourMix('healthy=1'),
  validity: () => ({
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
  }),
});
const provisionStart = Date.now();
await fleet.provision(specs, 32);
const provisionMs = Date.now() - provisionStart;
const connectStart = Date.now();
await fleet.start(64, 60_000);
const connectMs = Date.now() - connectStart;
const snapshot = fleet.snapshot();
settle();
const after = process.memoryUsage();
const perDevice = (field: 'rss' | 'heapUsed' | 'external') =>
  Math.round((after[field] - before[field]) / size);
console.log(
  JSON.stringify({
    size,
    connected: snapshot.connected,
    provisionMs,
    connectMs,
    rssMiB: Math.round(after.rss / 2 ** 20),
    heapUsedMiB: Math.round(after.heapUsed / 2 ** 20),
    perDeviceBytes: {
      rss: perDevice('rss'),
      heapUsed: perDevice('heapUsed'),
      external: perDevice('external'),
    },
    gc: gc !== undefined,
  }),
);
await fleet.stop();
child.send({ type: 'stop' });
