/**
 * The fleet process of the benchmark: it runs the simulated devices the stack process provisioned,
 * apart from the stack, so that each side's memory is its own. Started by `fleet-stack.ts` over IPC.
 */
import { FleetSimulator } from '../device/fleet/fleet-simulator.ts';
import type { FleetProvisioner, ProvisionedDevice, ProvisionRequest } from '../device/fleet/provisioner.ts';
import { type FromFleet, type HandedOverDevice, ToFleet } from './fleet-messages.ts';
import { PeakRss } from './peak-rss.ts';

/** A device the stack process did not hand over was asked for. */
export class DeviceNotHandedOverError extends Error {
  override readonly name = 'DeviceNotHandedOverError';
}

/** The devices were provisioned in the stack's process; this hands their credentials to the simulator. */
class HandedOverProvisioner implements FleetProvisioner {
  private readonly byName: Map<string, HandedOverDevice>;

  constructor(devices: readonly HandedOverDevice[]) {
    this.byName = new Map(devices.map((d) => [d.thingName, d]));
  }

  async provision(request: ProvisionRequest): Promise<ProvisionedDevice> {
    const device = this.byName.get(request.thingName);
    if (!device) throw new DeviceNotHandedOverError(`device ${request.thingName} was not handed over`);
    return device;
  }
}

const peak = new PeakRss();
let fleet: FleetSimulator | undefined;
let cpuAtConnected: NodeJS.CpuUsage | undefined;

function send(message: FromFleet): void {
  process.send?.(message);
}

process.on('message', (raw: unknown) => {
  const parsed = ToFleet.safeParse(raw);
  if (!parsed.success) {
    send({ type: 'failed', name: 'InvalidFleetMessage', message: parsed.error.message });
    return;
  }
  const message = parsed.data;
  const work = message.type === 'devices' ? connect(message) : stop();
  work.catch((error: unknown) => {
    const named = error instanceof Error ? error : new Error(String(error));
    send({ type: 'failed', name: named.name, message: named.message });
  });
});

async function connect(message: Extract<ToFleet, { type: 'devices' }>): Promise<void> {
  const started = performance.now();
  fleet = new FleetSimulator({
    endpoint: message.endpoint,
    serverCaPem: message.serverCaPem,
    provisioner: new HandedOverProvisioner(message.devices),
  });
  const far = new Date(Date.now() + 365 * 86_400_000);
  await fleet.provision(
    message.devices.map((d) => ({
      thingName: d.thingName,
      behaviour: 'healthy',
      notBefore: new Date(),
      notAfter: far,
    })),
    64,
  );
  await fleet.start(32);
  const snapshot = fleet.snapshot();
  cpuAtConnected = process.cpuUsage();
  send({
    type: 'connected',
    devices: snapshot.total,
    connected: snapshot.connected,
    ms: performance.now() - started,
  });
}

async function stop(): Promise<void> {
  const cpu = process.cpuUsage(cpuAtConnected);
  const rotated = fleet?.snapshot().rotated ?? 0;
  const broken = (await fleet?.devicesWithoutWorkingCredentials()) ?? [];
  await fleet?.stop();
  peak.stop();
  send({
    type: 'stopped',
    peakRssBytes: peak.bytes(),
    cpuMs: (cpu.user + cpu.system) / 1000,
    rotated,
    withoutWorkingCredentials: broken.length,
  });
  process.disconnect?.();
}
