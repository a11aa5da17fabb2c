/** Strict flag parsing for the bench scripts: an unknown flag or a wrong number is named with what it must be. */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** The flags a script takes, by kind. */
export interface FlagNames {
  /** Flags that take a value (`--devices 100`). */
  readonly values: readonly string[];
  /** Flags that are on when given (`--keep`); `help` also answers to `-h`. */
  readonly switches: readonly string[];
}

/** The script's own error class, so that its entry point tells a wrong flag from a failure. */
export type FlagErrorClass = new (message: string, options?: ErrorOptions) => Error;

export interface BenchFlags {
  /** True when the boolean flag was given. */
  given(name: string): boolean;
  /** The string flag's text, or undefined when it was not given. */
  text(name: string): string | undefined;
  /** The flag as a number, `fallback` when not given; `ok` judges it, `what` says what it must be. */
  number(name: string, fallback: number, ok: (n: number) => boolean, what: string): number;
}

export function parseBenchFlags(
  argv: readonly string[],
  names: FlagNames,
  FlagError: FlagErrorClass,
): BenchFlags {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const name of names.values) options[name] = { type: 'string' };
  for (const name of names.switches)
    options[name] = { type: 'boolean', ...(name === 'help' ? { short: 'h' } : {}) };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options }));
  } catch (error) {
    throw new FlagError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    given: (name) => values[name] === true,
    text,
    number(name, fallback, ok, what) {
      const given = text(name);
      if (given === undefined) return fallback;
      const value = Number(given);
      if (given.trim() === '' || !Number.isFinite(value) || !ok(value)) {
        throw new FlagError(`--${name} must be ${what}, got "${given}"`);
      }
      return value;
    },
  };
}
