import { parseArgs } from 'node:util';
import { type BehaviourMix, BehaviourMixError, parseBehaviourMix } from '../../device/index.ts';
import { namedError } from '../../lib/named-error.ts';
import { DEFAULT_STATE_DIR } from '../../local/index.ts';
import { joinDashValues, LOCAL_STACK_OPTIONS } from '../args.ts';
import { functionLogLevelFlag, type LogLevel } from '../logs/levels.ts';

export const DEFAULT_MIX = 'healthy=88,offline=4,flaky=3,crt_err=3,silent=1,weak_key=1';

/**
 * 60: a minute per second. Offline devices come back within seconds, while the workflow's own
 * timeouts (a CSR wait of an hour, an ack wait of 15 minutes) stay far longer, in real time, than
 * a rotation takes on a loaded laptop: a faster clock makes them fire while the device is answering.
 */
export const DEFAULT_CLOCK_SPEED = 60;

/** How long (simulated) `offline` devices stay away from their first connection attempt. */
export const DEFAULT_OFFLINE_MINUTES = 20;

export interface MainJobFlags {
  readonly devices: number;
  readonly mix: BehaviourMix;
  readonly mixText: string;
  readonly expiringPercent: number;
  readonly clockSpeed: number;
  readonly stateDir: string;
  readonly fresh: boolean;
  /** Real seconds the campaign may take before the job gives up waiting. */
  readonly timeoutSeconds: number;
  readonly json: boolean;
  readonly seed: number;
  readonly offlineMinutes: number;
  /** Issue the new certificates from a local ACM Private CA, valid this many days; none: AWS IoT's CA. */
  readonly privateCaDays?: number;
  /** Keep the functions' logs at this level in the state directory (`recert logs`); none by default. */
  readonly functionLogLevel?: LogLevel;
}

export type ParsedFlags = { readonly help: true } | { readonly help: false; readonly flags: MainJobFlags };

export class MainJobUsageError extends namedError('MainJobUsageError') {}

export const MAIN_JOB_HELP = `Usage: npm start -- [options]

Rotates a simulated AWS IoT fleet on the embedded local AWS: starts it, provisions the fleet, runs a
Device Defender audit (its SNS notification starts one rotation per expiring certificate), follows
every rotation through the real workflow, and prints a report. Exit 0 only when every expected
rotation succeeded and every misbehaving device was refused without harm.

  --devices <n>             fleet size (default 100)
  --mix <name=weight,...>   behaviours (default ${DEFAULT_MIX});
                            healthy, offline, flaky, crt_err, silent, csr_other_thing, weak_key,
                            old_key, ack_over_old, replayed_rotation_id, forged_rotation_id, foreign_topic
  --expiring-percent <p>    share of devices whose certificate expires within 30 days (default 80)
  --clock-speed <n>         simulated time runs n times faster (default ${DEFAULT_CLOCK_SPEED})
  --state-dir <dir>         where the local AWS keeps its state (default ${DEFAULT_STATE_DIR}); kept afterwards
  --fresh                   delete the state directory's earlier content first
  --offline-minutes <m>     how long (simulated) offline devices stay away (default ${DEFAULT_OFFLINE_MINUTES})
  --private-ca-days <n>     issue the new certificates from a local ACM Private CA, valid n days,
                            as a deployment with recert:issuer=acm-pca does (default: AWS IoT's CA)
  --log-level <level>       keep the functions' logs (debug, info, warn, error) in
                            <state-dir>/logs/functions.jsonl for "recert logs" (default silent)
  --timeout <seconds>       give up waiting after this many real seconds (default 300)
  --seed <n>                seed of the behaviour assignment (default 1)
  --json                    print the report as JSON on stdout
  -h, --help                this help

Each run provisions its devices under a new name prefix, so a state directory from an earlier run
can be reused; its earlier things and rotations stay inspectable.`;

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text.trim()))
    throw new MainJobUsageError(`${flag} must be a whole number, got "${text}"`);
  const value = Number(text);
  if (value < min || value > max) {
    throw new MainJobUsageError(`${flag} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function positiveNumber(flag: string, text: string, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new MainJobUsageError(`${flag} must be a number above 0 and at most ${max}, got "${text}"`);
  }
  return value;
}

/** Parses the main job's command line; throws MainJobUsageError naming the faulty flag. */
export function parseMainJobFlags(argv: readonly string[]): ParsedFlags {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new MainJobUsageError(message, { cause: error });
  }
  const { values } = parsed;
  if (values.help === true) return { help: true };
  const mixText = values.mix ?? DEFAULT_MIX;
  let mix: BehaviourMix;
  try {
    mix = parseBehaviourMix(mixText);
  } catch (error) {
    if (error instanceof BehaviourMixError) {
      throw new MainJobUsageError(`--mix: ${error.message}`, { cause: error });
    }
    throw error;
  }
  const stateDir = values['state-dir'] ?? DEFAULT_STATE_DIR;
  if (stateDir.trim() === '') throw new MainJobUsageError('--state-dir must not be empty');
  return {
    help: false,
    flags: {
      devices: wholeNumber('--devices', values.devices ?? '100', 1, 10_000),
      mix,
      mixText,
      expiringPercent: wholeNumber('--expiring-percent', values['expiring-percent'] ?? '80', 0, 100),
      clockSpeed: positiveNumber(
        '--clock-speed',
        values['clock-speed'] ?? String(DEFAULT_CLOCK_SPEED),
        100_000,
      ),
      stateDir,
      fresh: values.fresh === true,
      timeoutSeconds: positiveNumber('--timeout', values.timeout ?? '300', 86_400),
      json: values.json === true,
      seed: wholeNumber('--seed', values.seed ?? '1', 0, 2 ** 31),
      offlineMinutes: wholeNumber(
        '--offline-minutes',
        values['offline-minutes'] ?? String(DEFAULT_OFFLINE_MINUTES),
        0,
        30 * 24 * 60,
      ),
      ...(values['private-ca-days'] !== undefined
        ? { privateCaDays: wholeNumber('--private-ca-days', values['private-ca-days'], 1, 3650) }
        : {}),
      ...logLevelOf(values['log-level']),
    },
  };
}

function logLevelOf(text: string | undefined): { functionLogLevel?: LogLevel } {
  try {
    const level = functionLogLevelFlag(text);
    return level ? { functionLogLevel: level } : {};
  } catch (error) {
    throw new MainJobUsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: joinDashValues(argv, MAIN_JOB_OPTIONS),
    strict: true,
    allowPositionals: false,
    options: MAIN_JOB_OPTIONS,
  });
}

const MAIN_JOB_OPTIONS = {
  devices: { type: 'string' },
  mix: { type: 'string' },
  'expiring-percent': { type: 'string' },
  ...LOCAL_STACK_OPTIONS,
  'state-dir': { type: 'string' },
  fresh: { type: 'boolean' },
  timeout: { type: 'string' },
  seed: { type: 'string' },
  'offline-minutes': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
