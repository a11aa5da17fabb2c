/** Flags of `npm run bench:soak`; a wrong one is named with what it must be. */
import { parseBenchFlags } from './flags.ts';

export interface SoakSettings {
  readonly minutes: number;
  /** Seconds between restarts of the local AWS. */
  readonly restartEvery: number;
  /** Seconds between rounds of rotations: each device with none in flight gets one. */
  readonly rotateEvery: number;
  readonly devices: number;
  /** Seconds to wait after the last restart for the rotations still in flight. */
  readonly drain: number;
  /** Keep the temporary directory (state, agent directories) for a look afterwards. */
  readonly keep: boolean;
}

export class SoakFlagError extends Error {
  override readonly name = 'SoakFlagError';
}

export const SOAK_USAGE = `Usage: npm run bench:soak -- [--minutes N] [--restart-every S] [--rotate-every S] [--devices N] [--drain S] [--keep]

  --minutes        how long the soak runs (default 10)
  --restart-every  seconds between restarts of the local AWS (default 60)
  --rotate-every   seconds between rounds of rotations, one per idle device (default 20)
  --devices        devices, each a "recert device run" process (default 3, at most 20)
  --drain          seconds to wait at the end for rotations still in flight (default 180)
  --keep           keep the temporary directory (its path is printed)`;

/** The settings, or undefined when --help was asked for. */
export function parseSoakFlags(argv: readonly string[]): SoakSettings | undefined {
  const flags = parseBenchFlags(
    argv,
    { values: ['minutes', 'restart-every', 'rotate-every', 'devices', 'drain'], switches: ['keep', 'help'] },
    SoakFlagError,
  );
  if (flags.given('help')) return undefined;
  const positive = (n: number) => n > 0;
  return {
    minutes: flags.number('minutes', 10, positive, 'a positive number'),
    restartEvery: flags.number('restart-every', 60, (n) => n >= 5, 'at least 5 (seconds)'),
    rotateEvery: flags.number('rotate-every', 20, positive, 'a positive number (seconds)'),
    devices: flags.number(
      'devices',
      3,
      (n) => Number.isInteger(n) && n >= 1 && n <= 20,
      'a whole number from 1 to 20',
    ),
    drain: flags.number('drain', 180, (n) => n >= 0, 'zero or more (seconds)'),
    keep: flags.given('keep'),
  };
}
