import { availableParallelism } from 'node:os';
import type { RunningLocalAws, StartLocalAwsOptions } from '../../cli/local-aws-control.ts';
import { LocalAws } from './local-aws.ts';

/** `recert local up`: the whole local AWS in this process until `stop`. */
export async function startLocalAws(options: StartLocalAwsOptions): Promise<RunningLocalAws> {
  const local = await LocalAws.start({
    stateDir: options.stateDir,
    ...(options.clockSpeed !== undefined ? { clockSpeed: options.clockSpeed } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.ports ? { ports: options.ports } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.privateCaDays !== undefined ? { privateCa: { validityDays: options.privateCaDays } } : {}),
    // With a core to spare, the functions run beside the services rather than on their thread.
    functionWorkers: availableParallelism() > 1 ? 1 : 0,
  });
  return { manifest: local.manifest, stop: () => local.close() };
}
