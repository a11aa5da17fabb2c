import { readFile } from 'node:fs/promises';
import { afterEach } from 'vitest';
import type { LocalAws } from '../../../local/stack/local-aws.ts';
import { startLocal, stopLocal } from '../../e2e/helpers.ts';
import { type DeviceFiles, makeDeviceFiles, removeDeviceFiles } from './agent-harness.ts';
import type { AgentProcess } from './agent-process.ts';

export interface LocalDevice {
  /** The local AWS; a test that restarts it puts the new one here, for the cleanup to close. */
  readonly env: { local: LocalAws; dir: string };
  /** The device as provisioned: its first certificate. */
  readonly device: Awaited<ReturnType<LocalAws['iot']['provisionDevice']>>;
  readonly files: DeviceFiles;
}

/**
 * One device provisioned on a local AWS of its own, with its credential files, for agent processes.
 * After each test: the processes still running are stopped (the last started first), then what the
 * test added with `onCleanup`, then the local AWS, then the files.
 */
export function useLocalDevice(): {
  start(thingName: string): Promise<LocalDevice>;
  track(agent: AgentProcess): AgentProcess;
  onCleanup(close: () => Promise<void>): void;
} {
  let started: LocalDevice | undefined;
  let env: LocalDevice['env'] | undefined;
  const processes: AgentProcess[] = [];
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const agent of processes.splice(0).reverse()) {
      if (agent.child.exitCode === null) await agent.stop();
    }
    for (const close of closers.splice(0)) await close();
    await stopLocal(env);
    if (started) await removeDeviceFiles(started.files);
    env = undefined;
    started = undefined;
  });
  return {
    async start(thingName) {
      env = await startLocal();
      const device = await env.local.iot.provisionDevice({ thingName });
      started = {
        env,
        device,
        files: await makeDeviceFiles(device, await readFile(env.local.endpoints.rootCaPath, 'utf8')),
      };
      return started;
    },
    track(agent) {
      processes.push(agent);
      return agent;
    },
    onCleanup(close) {
      closers.push(close);
    },
  };
}
