/** `recert logs`: the functions' logs the local AWS keeps (`local up --log-level`), filtered, redacted. */
import { functionLogPaths } from '../../local/index.ts';
import { CAMPAIGN_FUNCTION_IDS } from '../../workflows/campaign/functions.ts';
import { FUNCTION_IDS } from '../../workflows/rotate-device/functions.ts';
import { RotationId } from '../../workflows/rotate-device/protocol.ts';
import { GLOBAL_OPTIONS_HELP, parseCommandLine, sinceFlag } from '../args.ts';
import type { Command } from '../command.ts';
import { TargetUnavailableError, UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { entryOf, type LogEntry } from '../logs/entries.ts';
import { type LogFilter, matches } from '../logs/filter.ts';
import { minimumLevelFlag } from '../logs/levels.ts';
import { jsonLine, TABLE_HEADER, tableLine } from '../logs/present.ts';
import { logExists, tailLog } from '../logs/tail.ts';
import { thingNameArg } from '../rotations/identifiers.ts';
import { onStopSignal } from '../signals.ts';
import { stateDirOf, wantsLocal } from '../target/resolve-target.ts';

/** The functions by the ids of the contract; in the local Lambda each is named `recert-<id>`. */
const FUNCTION_NAMES: readonly string[] = [...FUNCTION_IDS, ...CAMPAIGN_FUNCTION_IDS];

const OPTIONS = {
  thing: { type: 'string' },
  rotation: { type: 'string' },
  function: { type: 'string' },
  level: { type: 'string' },
  since: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
} as const;

export const logsCommand: Command = {
  help: `Usage: recert logs --local [--thing <name>] [--rotation <id>] [--function <id>] [--level <level>]
                   [--since <when>] [--follow] [--output table|json]

The structured logs of recert's functions in the local AWS, which keeps them in
<state-dir>/logs/functions.jsonl when it runs with "recert local up --log-level info" (rotated
past 10 MiB into functions.1.jsonl). Task tokens, certificates, private keys, CSRs and credentials
are never printed. On AWS the functions log to CloudWatch Logs instead.

  --thing <name>      only lines about this thing
  --rotation <id>     only lines of this rotation (its rotationId)
  --function <id>     only this function's lines: ${FUNCTION_NAMES.join(', ')}
  --level <level>     the lowest level shown: debug, info, warn or error (default: all)
  --since <when>      only lines from this time on: a duration back from now (10m, 2h, 1d)
                      or an ISO date or time
  -f, --follow        print lines as the functions write them, until Ctrl-C
  --output json       one JSON object a line

${GLOBAL_OPTIONS_HELP}

Examples:
  recert logs --local --thing sensor-0042
  recert logs --local --function device-reply --level warn --since 1h
  recert logs --local --follow --output json | jq .message`,
  async run(args, context) {
    const { values } = parseCommandLine(args, OPTIONS, false);
    const { io } = context;
    if (values.help) {
      io.stdout(this.help);
      return EXIT.ok;
    }
    const filter = filterOf(values, context.now());
    if (!wantsLocal(values, io)) {
      throw new UsageError('on AWS, the functions log to CloudWatch Logs, which recert logs does not read', {
        hint:
          'each function has a log group named <stack>-Functions<function>logs... (e.g. ' +
          'Recert-Functionsdevicereplylogs...): "aws logs tail <group> --follow"; or add --local',
      });
    }
    const stateDir = stateDirOf(values, io);
    const paths = functionLogPaths(stateDir);
    if (!(await logExists(paths))) {
      throw new TargetUnavailableError(
        `the local AWS keeps no function logs in ${stateDir} (no ${paths.current})`,
        {
          hint: 'start it with "recert local up --log-level info" and they are kept from then on',
        },
      );
    }
    const json = values.json === true;
    if (!json) io.stdout(TABLE_HEADER);
    const print = (entry: LogEntry): void => io.stdout(json ? jsonLine(entry) : tableLine(entry));
    const onLine = (line: string): void => {
      const entry = entryOf(line);
      if (entry && matches(entry, filter)) print(entry);
    };
    if (values.follow !== true) {
      await tailLog(paths, onLine, { follow: false });
      return EXIT.ok;
    }
    // Ctrl-C ends it as asked: exit 0. The caller's signal (tests) or the process's first SIGINT.
    const stop = io.signal ? undefined : onStopSignal({});
    try {
      await tailLog(paths, onLine, { follow: true, signal: io.signal ?? stop?.signal });
    } finally {
      stop?.dispose();
    }
    return EXIT.ok;
  },
};

function filterOf(
  values: { thing?: string; rotation?: string; function?: string; level?: string; since?: string },
  now: number,
): LogFilter {
  const level = minimumLevelFlag(values.level);
  const since = sinceFlag(values.since, now);
  if (values.rotation !== undefined && !RotationId.safeParse(values.rotation).success) {
    throw new UsageError(`--rotation ${JSON.stringify(values.rotation)} is not a rotationId (a UUID)`);
  }
  const fn = values.function?.replace(/^recert-/, '');
  if (fn !== undefined && !FUNCTION_NAMES.includes(fn)) {
    throw new UsageError(
      `--function ${JSON.stringify(values.function)} is not one of recert's functions: ${FUNCTION_NAMES.join(', ')}`,
    );
  }
  return {
    ...(values.thing !== undefined ? { thingName: thingNameArg(values.thing) } : {}),
    ...(values.rotation !== undefined ? { rotationId: values.rotation } : {}),
    ...(fn !== undefined ? { functionName: `recert-${fn}` } : {}),
    ...(level ? { minimumLevel: level } : {}),
    ...(since ? { since } : {}),
  };
}
