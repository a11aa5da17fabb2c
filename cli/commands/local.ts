import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { joinDashValues, LOCAL_STACK_OPTIONS } from '../args.ts';
import type { Command, CommandContext } from '../command.ts';
import {
  errorMessage,
  OperationFailedError,
  RefusedError,
  TargetUnavailableError,
  UsageError,
} from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { loadLocalAwsControl } from '../local-aws-control.ts';
import { functionLogLevelFlag } from '../logs/levels.ts';
import { type OutputFormat, outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { type Column, printTable } from '../output/table.ts';
import { renderText, textLine } from '../output/text.ts';
import type { ManifestWithOptionalCampaign as LocalAwsManifest } from '../target/manifest.ts';
import { manifestPath, processAlive, readManifest } from '../target/manifest.ts';
import { probeTcp, probeUrl } from '../target/probe.ts';
import { stateDirOf } from '../target/resolve-target.ts';
import { type ControlLoader, up } from './local-up.ts';

const LOCAL_HELP = `Usage: recert local up [--state-dir <dir>] [--clock-speed <n>] [--clock-reset] [--any-ports]
                       [--private-ca-days <n>] [--log-level <level>]
       recert local down [--state-dir <dir>] [--timeout <seconds>]
       recert local status [--state-dir <dir>] [--output table|json|text]

The embedded local AWS (Step Functions, IoT Core with its MQTT broker, DynamoDB, SNS and
EventBridge) on 127.0.0.1, with its state in a directory (default .recert) so it survives a
restart. Other recert commands reach it with --local (or RECERT_LOCAL=1).

  up        runs it in the foreground until Ctrl-C or SIGTERM; writes <state-dir>/endpoints.json
  down      stops the local AWS running from <state-dir> (SIGTERM to its process)
  status    whether it runs, and whether each endpoint answers (exit 3 when not running)

  --state-dir <dir>     state directory (default .recert, also RECERT_STATE_DIR)
  --clock-speed <n>     up: time runs n times faster (e.g. 3600: an hour per second); default: the
                        speed the state directory's clock last ran at, else 1
  --clock-reset         up: start from the wall clock instead of continuing the state directory's
                        clock (which it remembers, so time never runs backwards on its records)
  --any-ports           up: listen on free ports instead of the defaults (4583-4586, 8883); the
                        manifest tells the other commands where
  --private-ca-days <n> up: issue new certificates from a local ACM Private CA, valid n days (as
                        recert:issuer=acm-pca), instead of IoT's own CA
  --log-level <level>   up: keep the functions' logs at this level (debug, info, warn, error) in
                        <state-dir>/logs/functions.jsonl, for "recert logs"; default silent
  --timeout <seconds>   down: how long to wait for the process to exit (default 30)
  --output <format>     status: table (default), json or text (tab-separated records)
  --json                status: the same as --output json
  -h, --help            this help

Examples:
  recert local up --clock-speed 60
  recert local up --log-level info      (then: recert logs --local --follow)
  recert local status --json
  recert local down`;

/** The manifest in `stateDir`, or the error saying why none is usable there (nothing runs from it). */
async function manifestOrAbsence(stateDir: string): Promise<LocalAwsManifest | TargetUnavailableError> {
  try {
    return await readManifest(stateDir);
  } catch (error) {
    if (error instanceof TargetUnavailableError) return error;
    throw error;
  }
}

async function down(context: CommandContext, stateDir: string, timeoutSeconds: number) {
  const { io } = context;
  const manifest = await manifestOrAbsence(stateDir);
  if (manifest instanceof TargetUnavailableError) {
    io.stdout(`The local AWS is not running from ${stateDir}.`);
    return EXIT.ok;
  }
  if (!processAlive(manifest.pid)) {
    await rm(manifestPath(stateDir), { force: true });
    io.stdout(
      `The local AWS was not running (process ${manifest.pid} had exited); removed its stale manifest.`,
    );
    return EXIT.ok;
  }
  if (manifest.pid === process.pid) {
    throw new RefusedError('the local AWS in this state directory runs inside this very process');
  }
  process.kill(manifest.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutSeconds * 1000;
  while (processAlive(manifest.pid)) {
    if (Date.now() > deadline) {
      throw new OperationFailedError(
        `process ${manifest.pid} is still running ${timeoutSeconds} s after SIGTERM`,
        { hint: `look at it, then "kill -9 ${manifest.pid}" if it hangs` },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // A process killed before its shutdown finished leaves its manifest behind.
  await rm(manifestPath(stateDir), { force: true });
  io.stdout(`Stopped the local AWS (process ${manifest.pid}).`);
  return EXIT.ok;
}

interface EndpointCheck {
  readonly service: string;
  readonly address: string;
  readonly answering: boolean;
}

async function status(context: CommandContext, stateDir: string, format: OutputFormat) {
  const json = format === 'json';
  const { io } = context;
  const manifest = await manifestOrAbsence(stateDir);
  if (manifest instanceof TargetUnavailableError) {
    const reason = manifest.message;
    if (json) printJson(io, { running: false, stateDir, reason });
    else if (format === 'text') io.stdout(textLine('LOCAL', ['not running', stateDir]));
    else io.stdout(`Not running: ${reason}.`);
    return EXIT.unavailable;
  }
  const alive = processAlive(manifest.pid);
  const { endpoints } = manifest;
  const checks: EndpointCheck[] = [];
  for (const [service, url] of [
    ['Step Functions', endpoints.stepFunctions],
    ['IoT', endpoints.iot],
    ['IoT data', endpoints.iotData],
    ['DynamoDB', endpoints.dynamodb],
    ['SNS', endpoints.sns],
    ['EventBridge', endpoints.eventBridge],
  ] as const) {
    checks.push({ service, address: url, answering: alive && (await probeUrl(url)) });
  }
  const mqtt = `${endpoints.mqtt.host}:${endpoints.mqtt.port}`;
  checks.push({
    service: 'MQTT',
    address: mqtt,
    answering: alive && (await probeTcp(endpoints.mqtt.host, endpoints.mqtt.port)),
  });
  const healthy = alive && checks.every((check) => check.answering);
  const columns: Column<EndpointCheck>[] = [
    { header: 'SERVICE', value: (c) => c.service },
    { header: 'ADDRESS', value: (c) => c.address },
    { header: 'ANSWERING', value: (c) => (c.answering ? 'yes' : 'no') },
  ];
  if (json) {
    printJson(io, { running: alive, healthy, stateDir, manifest, endpoints: checks });
  } else if (format === 'text') {
    const state = alive ? (healthy ? 'running' : 'unhealthy') : 'not running';
    io.stdout(textLine('LOCAL', [state, stateDir, manifest.pid, manifest.startedAt, manifest.clockSpeed]));
    for (const line of renderText('SERVICE', columns, checks)) io.stdout(line);
  } else {
    io.stdout(
      alive
        ? `Running: process ${manifest.pid}, since ${manifest.startedAt}, clock speed ${manifest.clockSpeed}.`
        : `Not running: process ${manifest.pid} from ${manifestPath(stateDir)} has exited (stale manifest).`,
    );
    printTable(io, columns, checks, '  ');
  }
  if (!alive) return EXIT.unavailable;
  return healthy ? EXIT.ok : EXIT.failed;
}

/** `recert local up|down|status`; `load` is replaceable for tests of a build without the local AWS. */
export function localCommand(load: ControlLoader = () => loadLocalAwsControl()): Command {
  return {
    help: LOCAL_HELP,
    async run(args, context) {
      let parsed: ReturnType<typeof parseLocalArgs>;
      try {
        parsed = parseLocalArgs(args);
      } catch (error) {
        throw new UsageError(errorMessage(error), { cause: error });
      }
      const { values, positionals } = parsed;
      const [sub, ...extra] = positionals;
      if (values.help || sub === 'help') {
        context.io.stdout(LOCAL_HELP);
        return EXIT.ok;
      }
      if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
      const stateDir = stateDirOf(values, context.io);
      if (
        sub !== 'up' &&
        (values['clock-speed'] !== undefined ||
          values['clock-reset'] ||
          values['any-ports'] ||
          values['private-ca-days'] !== undefined ||
          values['log-level'] !== undefined)
      ) {
        throw new UsageError(
          '--clock-speed, --clock-reset, --any-ports, --private-ca-days and --log-level go with "local up"',
        );
      }
      if (sub !== 'down' && values.timeout !== undefined)
        throw new UsageError('--timeout goes with "local down"');
      switch (sub) {
        case 'up': {
          const speedText = values['clock-speed'];
          const speed = speedText === undefined ? undefined : Number(speedText);
          if (speed !== undefined && !(Number.isFinite(speed) && speed > 0 && speed <= 1_000_000)) {
            throw new UsageError(
              `--clock-speed ${JSON.stringify(speedText)} is not a number from 0 to 1000000`,
            );
          }
          const daysText = values['private-ca-days'];
          const privateCaDays = daysText === undefined ? undefined : Number(daysText);
          if (
            privateCaDays !== undefined &&
            !(/^\d+$/.test(daysText ?? '') && privateCaDays >= 1 && privateCaDays <= 3650)
          ) {
            throw new UsageError(
              `--private-ca-days ${JSON.stringify(daysText)} is not a whole number of days from 1 to 3650`,
            );
          }
          return up(
            context,
            stateDir,
            {
              clockSpeed: speed,
              clockReset: values['clock-reset'] === true,
              anyPorts: values['any-ports'] === true,
              privateCaDays,
              functionLogLevel: functionLogLevelFlag(values['log-level']),
            },
            load,
          );
        }
        case 'down': {
          const timeout = values.timeout === undefined ? 30 : Number(values.timeout);
          if (!(Number.isInteger(timeout) && timeout > 0 && timeout <= 3600)) {
            throw new UsageError(
              `--timeout ${JSON.stringify(values.timeout)} is not a whole number of seconds`,
            );
          }
          return down(context, stateDir, timeout);
        }
        case 'status':
          return status(context, stateDir, outputFormat(values, ['table', 'json', 'text']));
        case undefined:
          throw new UsageError('local needs a subcommand: up, down or status');
        default:
          throw new UsageError(`unknown subcommand "local ${sub}"; expected up, down or status`);
      }
    },
  };
}

const LOCAL_OPTIONS = {
  'state-dir': { type: 'string' },
  ...LOCAL_STACK_OPTIONS,
  'clock-reset': { type: 'boolean' },
  'any-ports': { type: 'boolean' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  output: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseLocalArgs(args: string[]) {
  return parseArgs({
    args: joinDashValues(args, LOCAL_OPTIONS),
    strict: true,
    allowPositionals: true,
    options: LOCAL_OPTIONS,
  });
}
