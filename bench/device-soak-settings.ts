/** Flags of `npm run bench:soak`; a wrong one is named with what it must be. */
import { parseArgs } from 'node:util';

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

function number(
  flag: string,
  text: string | undefined,
  fallback: number,
  ok: (n: number) => boolean,
  what: string,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !ok(value)) {
    throw new SoakFlagError(`--${flag} must be ${what}, got "${text}"`);
  }
  return value;
}

/** The settings, or undefined when --help was asked for. */
export function parseSoakFlags(argv: readonly string[]): SoakSettings | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        minutes: { type: 'string' },
        'restart-every': { type: 'string' },
        'rotate-every': { type: 'string' },
        devices: { type: 'string' },
        drain: { type: 'string' },
        keep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new SoakFlagError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (values.help) return undefined;
  const text = (name: string) => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const positive = (n: number) => n > 0;
  return {
    minutes: number('minutes', text('minutes'), 10, positive, 'a positive number'),
    restartEvery: number('restart-every', text('restart-every'), 60, (n) => n >= 5, 'at least 5 (seconds)'),
    rotateEvery: number('rotate-every', text('rotate-every'), 20, positive, 'a positive number (seconds)'),
    devices: number(
      'devices',
      text('devices'),
      3,
      (n) => Number.isInteger(n) && n >= 1 && n <= 20,
      'a whole number from 1 to 20',
    ),
    drain: number('drain', text('drain'), 180, (n) => n >= 0, 'zero or more (seconds)'),
    keep: values.keep === true,
  };
}
