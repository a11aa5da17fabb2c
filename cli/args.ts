import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.ts';
import { OUTPUT_FORMATS } from './output/format.ts';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Flags every command accepts: where to run and how to print. */
export const GLOBAL_OPTIONS = {
  local: { type: 'boolean' },
  'state-dir': { type: 'string' },
  stack: { type: 'string' },
  region: { type: 'string' },
  json: { type: 'boolean' },
  output: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionsConfig;

/** Flags of the commands that start a local AWS (`local up`, `npm start`): its clock, Private CA and function logs. */
export const LOCAL_STACK_OPTIONS = {
  'clock-speed': { type: 'string' },
  'private-ca-days': { type: 'string' },
  'log-level': { type: 'string' },
} as const satisfies OptionsConfig;

/** What `--output` takes (as the AWS CLI's); `--json` is `--output json`. Commands with CSV say so. */
const OUTPUTS: readonly string[] = OUTPUT_FORMATS;

export const GLOBAL_OPTIONS_HELP = `Target and output (every command):
  --local             use the local AWS (also RECERT_LOCAL=1)
  --state-dir <dir>   the local AWS's state directory (default .recert, also RECERT_STATE_DIR)
  --stack <name>      the deployed CloudFormation stack (default Recert, also RECERT_STACK)
  --region <region>   AWS region (default: the SDK's region chain)
  --output <format>   table (default, statuses coloured on a terminal unless NO_COLOR is set),
                      json (one document), text (tab-separated, one record per line, its kind
                      first, for cut and awk); csv where a command says so
  --json              the same as --output json
  -h, --help          this help`;

/**
 * `--devices -5` is a flag and its value, not two flags: a value that starts with a dash is joined
 * to its flag (`--devices=-5`), so the value's own check says what is wrong with it.
 */
export function joinDashValues(args: readonly string[], options: OptionsConfig): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-[^-]/.test(next)) {
      out.push(`${arg}=${next}`);
      i += 1;
    } else out.push(arg);
  }
  return out;
}

/**
 * Strict parsing: an unknown flag or a missing value is a usage error that names it, never a
 * silently ignored typo.
 */
export function parseCommandLine<T extends OptionsConfig>(
  args: string[],
  options: T,
  allowPositionals: boolean,
) {
  const all = { ...GLOBAL_OPTIONS, ...options };
  const parsed = (() => {
    try {
      return parseArgs({ args: joinDashValues(args, all), options: all, strict: true, allowPositionals });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''), { cause: error });
    }
  })();
  const values: Record<string, unknown> = parsed.values;
  const output = values.output;
  if (typeof output === 'string') {
    // CSV only where a command has it (its --format takes it too).
    const allowed = 'format' in options ? OUTPUTS : OUTPUTS.filter((o) => o !== 'csv');
    if (!allowed.includes(output)) {
      throw new UsageError(`--output ${JSON.stringify(output)} is not one of ${allowed.join(', ')}`);
    }
    if (values.json === true && output !== 'json')
      throw new UsageError(`--json contradicts --output ${output}`);
    if (output === 'json') values.json = true;
  }
  return parsed;
}

/** A flag given as a number: an integer within bounds, or a usage error naming the flag. */
export function intFlag(
  name: string,
  text: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} ${JSON.stringify(text)} is not a whole number from ${min} to ${max}`);
  }
  return value;
}

const DURATION = /^(\d+)([smhdw])$/;
const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * `--since` as a duration back from now (`30m`, `12h`, `7d`, `2w`) or an ISO 8601 date or time;
 * returns the ISO timestamp the rotation table's `statusSince` (byStatus index sort key) is compared with.
 */
export function sinceFlag(text: string | undefined, now: number): string | undefined {
  if (text === undefined) return undefined;
  const duration = DURATION.exec(text);
  if (duration?.[1] !== undefined && duration[2] !== undefined) {
    const unit = UNIT_MS[duration[2]] ?? 0;
    return new Date(now - Number(duration[1]) * unit).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  }
  throw new UsageError(
    `--since ${JSON.stringify(text)} is neither a duration (30m, 12h, 7d, 2w) nor an ISO date (2026-01-31)`,
  );
}

/** A flag given as a decimal number within bounds (min exclusive when `minExclusive`), or a usage error. */
export function numberFlag(
  name: string,
  text: string | undefined,
  bounds: { min: number; max: number; minExclusive?: boolean },
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  const aboveMin = bounds.minExclusive === true ? value > bounds.min : value >= bounds.min;
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(value) || !aboveMin || value > bounds.max) {
    const from = bounds.minExclusive === true ? `above ${bounds.min}` : `from ${bounds.min}`;
    throw new UsageError(`--${name} ${JSON.stringify(text)} is not a number ${from} to ${bounds.max}`);
  }
  return value;
}
