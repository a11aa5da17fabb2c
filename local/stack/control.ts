import { availableParallelism } from 'node:os';
import type { ScaledClock } from '../../lib/clock.ts';
import { LocalAws } from './local-aws.ts';
import type { LocalAwsManifest } from './types.ts';

/**
 * What `recert local up` needs from the embedded local AWS:
 * start every service on loopback from a state directory, write `<stateDir>/endpoints.json`
 * (the manifest) once all of them listen, and on `stop` close them and remove the manifest.
 */
export interface StartLocalAwsOptions {
  readonly stateDir: string;
  /** Clock speed: 1 is real time (default), 3600 makes an hour pass in a second. */
  readonly clockSpeed?: number;
  /** The services' clock, at `clockSpeed` (e.g. the state directory's saved clock, continued). */
  readonly clock?: ScaledClock;
  /** Issue new certificates from a local ACM Private CA valid this many days (IoT's own CA otherwise). */
  readonly privateCaDays?: number;
  /** Fixed ports; the defaults of `local/config.ts` otherwise (0: any free port). */
  readonly ports?: Partial<Record<'stepFunctions' | 'iot' | 'mqtt' | 'dynamodb' | 'events', number>>;
  /** The functions' log level; with one, their logs go to `<stateDir>/logs/functions.jsonl` (`recert logs`). */
  readonly functionLogLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Where the services' log lines go (the CLI sends them to stderr). */
  readonly log?: (line: string) => void;
}

/** `recert local up`: the whole local AWS in this process until `stop`. */
export async function startLocalAws(options: StartLocalAwsOptions): Promise<{
  readonly manifest: LocalAwsManifest;
  stop(): Promise<void>;
}> {
  const local = await LocalAws.start({
    stateDir: options.stateDir,
    ...(options.clockSpeed !== undefined ? { clockSpeed: options.clockSpeed } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.ports ? { ports: options.ports } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.functionLogLevel ? { functionLogLevel: options.functionLogLevel, functionLogFile: {} } : {}),
    ...(options.privateCaDays !== undefined ? { privateCa: { validityDays: options.privateCaDays } } : {}),
    // With a core to spare, the functions run beside the services rather than on their thread.
    functionWorkers: availableParallelism() > 1 ? 1 : 0,
  });
  return { manifest: local.manifest, stop: () => local.close() };
}
