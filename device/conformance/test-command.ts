import { resolve } from 'node:path';
import { CliError } from '../../cli/index.ts';
import { DEFAULT_STATE_DIR } from '../../local/index.ts';
import { isThingName } from '../../workflows/rotate-device/protocol.ts';
import { DeviceUsageError, parseDeviceArgs, usageFailure } from '../usage.ts';
import { CHECK_NAMES, CHECKS } from './checks.ts';
import { ConformanceCloud } from './cloud.ts';
import { BrokerObserver } from './observer.ts';
import { runKit } from './run-kit.ts';

export const DEFAULT_CHECK_TIMEOUT_SECONDS = 90;
const MAX_CHECK_TIMEOUT_SECONDS = 3600;

export const TEST_USAGE = `Usage: recert device test <thing> --local [--state-dir <dir>] [--check-timeout <seconds>] [--checks <list>]

Drives real rotations of a connected device through the local AWS ("recert local up") and checks
that its firmware follows the rotation protocol (device/protocol/asyncapi.yaml). One line per check:
"PASS <check>" or "FAIL <check>: <reason>".

  --local           the local AWS running from --state-dir (the only target the kit supports)
  --state-dir       the local AWS's state directory (default ${DEFAULT_STATE_DIR})
  --check-timeout   seconds each check may take (default ${DEFAULT_CHECK_TIMEOUT_SECONDS})
  --checks          comma-separated checks to run (default: all, in this order)

Checks:
${CHECKS.map((check) => `  ${check.name.padEnd(18)}${check.summary}`).join('\n')}

The device must be connected and its thing must hold one ACTIVE certificate with no rotation in
flight. Each check rotates its certificate for real; a rotation a failed check leaves in flight is
abandoned (the certificate it issued revoked, the device's current one untouched).

Exit codes: 0 every check passed, 1 a check failed, 2 wrong usage or no local AWS / thing to test.`;

export interface TestCommandIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly cwd: string;
  /** Stops the run when aborted; by default the first SIGINT or SIGTERM does. */
  readonly signal?: AbortSignal;
}

interface TestSettings {
  readonly thingName: string;
  readonly stateDir: string;
  readonly timeoutMs: number;
  readonly checks: typeof CHECKS;
}

/** `recert device test ...`; resolves with the exit code (0 all passed, 1 a check failed, 2 usage). */
export async function runTestCommand(args: string[], io: TestCommandIo): Promise<number> {
  let settings: TestSettings | 'help';
  try {
    settings = parseTestArgs(args, io.cwd);
  } catch (error) {
    if (!(error instanceof DeviceUsageError)) throw error;
    return usageFailure(io, 'test', error.message);
  }
  if (settings === 'help') {
    io.stdout(TEST_USAGE);
    return 0;
  }
  let cloud: ConformanceCloud | undefined;
  let observer: BrokerObserver | undefined;
  // A stop ends the check running; the rotation it left in flight is abandoned and the kit's own
  // certificate and policies removed before the process ends.
  const signals = io.signal
    ? undefined
    : stopOnSignal(() => io.stderr('recert device test: stopping; cleaning up first'));
  const stop = io.signal ?? signals?.signal;
  try {
    cloud = await ConformanceCloud.open(settings.stateDir, settings.thingName);
    const refusal = await preflight(cloud);
    if (refusal) {
      io.stderr(`recert device test: ${refusal}`);
      return 2;
    }
    observer = await BrokerObserver.start({
      iot: cloud.iot,
      thingName: settings.thingName,
      region: cloud.region,
      accountId: cloud.accountId,
      endpoint: cloud.endpoint,
      caPem: cloud.caPem,
      timeoutMs: Math.min(settings.timeoutMs, 30_000),
    });
    const outcomes = await runKit({
      cloud,
      observer,
      checks: settings.checks,
      timeoutMs: settings.timeoutMs,
      report: io.stdout,
      ...(stop ? { stop } : {}),
    });
    const passed = outcomes.filter((o) => o.passed).length;
    const total = settings.checks.length;
    const run = outcomes.length < total ? ` (interrupted: ${outcomes.length} of ${total} run)` : '';
    io.stdout(`${passed} of ${total} checks passed for ${settings.thingName}${run}`);
    return passed === total ? 0 : 1;
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`recert device test: ${error.message}${error.hint ? `\n  ${error.hint}` : ''}`);
      return 2;
    }
    const named = error instanceof Error ? error : new Error(String(error));
    io.stderr(`recert device test: ${named.name}: ${named.message}`);
    return 1;
  } finally {
    await observer?.close();
    await cloud?.close();
    signals?.dispose();
  }
}

/** Why the thing cannot be tested now, or undefined when it can. */
async function preflight(cloud: ConformanceCloud): Promise<string | undefined> {
  const record = await cloud.record();
  if (record?.status === 'IN_PROGRESS') {
    return `${cloud.thingName} has a rotation in flight (${record.executionArn}); wait for it, or "recert abandon ${cloud.thingName} --local" first`;
  }
  // Throws NotFoundError / RefusedError / UsageError (reported with exit 2) when there is no single ACTIVE one.
  await cloud.currentCertificate();
  return undefined;
}

function parseTestArgs(args: string[], cwd: string): TestSettings | 'help' {
  const { values, positionals } = parseFlags(args);
  if (values.help) return 'help';
  const [thingName, ...extra] = positionals;
  if (thingName === undefined) throw new DeviceUsageError('a thing name is needed');
  if (extra.length > 0) throw new DeviceUsageError(`one thing at a time (got ${positionals.join(', ')})`);
  if (!isThingName(thingName)) {
    throw new DeviceUsageError(
      `${JSON.stringify(thingName)} is not a valid thing name (1-128 of a-z A-Z 0-9 : _ -)`,
    );
  }
  if (!values.local) throw new DeviceUsageError('the kit tests against the local AWS only: add --local');
  const rawTimeout = values['check-timeout'] ?? String(DEFAULT_CHECK_TIMEOUT_SECONDS);
  const timeout = Number(rawTimeout);
  if (!/^\d+(\.\d+)?$/.test(rawTimeout) || timeout <= 0 || timeout > MAX_CHECK_TIMEOUT_SECONDS) {
    throw new DeviceUsageError(
      `--check-timeout ${JSON.stringify(rawTimeout)} is not a number of seconds between 1 and ${MAX_CHECK_TIMEOUT_SECONDS}`,
    );
  }
  const names = values.checks === undefined ? CHECK_NAMES : values.checks.split(',').map((n) => n.trim());
  const unknown = names.filter((name) => !CHECK_NAMES.includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new DeviceUsageError(
      `--checks: unknown ${JSON.stringify(unknown.join(','))}; the checks are ${CHECK_NAMES.join(', ')}`,
    );
  }
  return {
    thingName,
    stateDir: resolve(cwd, values['state-dir'] ?? DEFAULT_STATE_DIR),
    timeoutMs: timeout * 1000,
    checks: CHECKS.filter((check) => names.includes(check.name)),
  };
}

function parseFlags(args: string[]) {
  return parseDeviceArgs(
    args,
    {
      local: { type: 'boolean' },
      'state-dir': { type: 'string' },
      'check-timeout': { type: 'string' },
      checks: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
}

/** The first SIGINT or SIGTERM aborts the signal; a second one ends the process as usual. */
function stopOnSignal(onFirst: () => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (): void => {
    dispose();
    onFirst();
    controller.abort();
  };
  const dispose = (): void => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return { signal: controller.signal, dispose };
}
