import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceBehaviour } from '../../../device/agent/behaviour.ts';
import { DeviceAgent } from '../../../device/agent/device-agent.ts';
import type { AgentEvent } from '../../../device/agent/events.ts';
import { FileCredentialStore } from '../../../device/agent/file-credential-store.ts';
import type { TestBroker } from './test-broker.ts';
import type { IssuedPair } from './test-pki.ts';

/** A device directory on disk: its certificate, its key (0600) and its state directory. */
export interface DeviceFiles {
  readonly dir: string;
  readonly certificatePath: string;
  readonly privateKeyPath: string;
  readonly stateDir: string;
  readonly caPath: string;
}

export async function makeDeviceFiles(pair: IssuedPair, caPem: string): Promise<DeviceFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'recert-device-'));
  const files = {
    dir,
    certificatePath: join(dir, 'device.cert.pem'),
    privateKeyPath: join(dir, 'device.key.pem'),
    stateDir: join(dir, 'state'),
    caPath: join(dir, 'ca.pem'),
  };
  await writeFile(files.certificatePath, pair.certificatePem);
  await writeFile(files.privateKeyPath, pair.privateKeyPem, { mode: 0o600 });
  await writeFile(files.caPath, caPem);
  return files;
}

/** `recert device run`'s flags for these files and endpoint (`run` first); the state directory is optional. */
export function deviceRunArgs(
  thing: string,
  files: DeviceFiles,
  endpoint: string,
  options: { stateDir?: boolean } = {},
): string[] {
  const args = ['run', '--thing', thing, '--cert', files.certificatePath, '--key', files.privateKeyPath];
  args.push('--ca', files.caPath, '--endpoint', endpoint);
  if (options.stateDir !== false) args.push('--state-dir', files.stateDir);
  return args;
}

export async function removeDeviceFiles(files: DeviceFiles): Promise<void> {
  await rm(files.dir, { recursive: true, force: true });
}

export function fileAgent(
  broker: TestBroker,
  thingName: string,
  files: DeviceFiles,
  options: { behaviour?: DeviceBehaviour; issuerCaPem?: string; timeoutMs?: number } = {},
): { agent: DeviceAgent; events: AgentEvent[]; store: FileCredentialStore } {
  const store = new FileCredentialStore(files);
  const agent = new DeviceAgent({
    thingName,
    endpoint: { host: '127.0.0.1', port: broker.port },
    serverCaPem: broker.pki.caCertificatePem,
    store,
    backoff: { initialMs: 20, maxMs: 200 },
    timeoutMs: options.timeoutMs ?? 3_000,
    ...(options.behaviour ? { behaviour: options.behaviour } : {}),
    ...(options.issuerCaPem !== undefined ? { issuerCaPem: options.issuerCaPem } : {}),
  });
  const events: AgentEvent[] = [];
  agent.onEvent((event) => events.push(event));
  return { agent, events, store };
}

/** A device of the test broker named `<prefix>-<random>`, its certificate and key on disk. */
export async function brokerDevice(broker: TestBroker, prefix: string) {
  const thing = `${prefix}-${randomUUID().slice(0, 8)}`;
  const old = await broker.provisionDevice(thing);
  const files = await makeDeviceFiles(old, broker.pki.caCertificatePem);
  return { thing, old, files };
}

/** A broker device whose file-backed agent has started and connected. */
export async function connectedAgent(
  broker: TestBroker,
  prefix: string,
  options: Parameters<typeof fileAgent>[3] = {},
) {
  const device = await brokerDevice(broker, prefix);
  const { agent, events } = fileAgent(broker, device.thing, device.files, options);
  await agent.start();
  await waitForEvent(events, (e) => e.type === 'connected');
  return { ...device, agent, events };
}

/** Resolves when an event matching the predicate has been (or is) emitted. */
export function waitForEvent(
  events: AgentEvent[],
  predicate: (event: AgentEvent) => boolean,
  timeoutMs = 10_000,
): Promise<AgentEvent> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      const found = events.find(predicate);
      if (found) {
        resolve(found);
        return;
      }
      if (Date.now() - started > timeoutMs) {
        const seen = events.map((e) => e.type).join(', ');
        reject(new Error(`event not seen within ${timeoutMs} ms; saw: ${seen}`));
        return;
      }
      setTimeout(poll, 10);
    };
    poll();
  });
}
