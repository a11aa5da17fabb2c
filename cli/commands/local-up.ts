/** `recert local up`: the whole local AWS in this process, in the foreground, until Ctrl-C or SIGTERM. */
import { functionLogPaths } from '../../local/index.ts';
import type { CommandContext } from '../command.ts';
import { errorMessage, errorName, RefusedError, systemCode, TargetUnavailableError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import type { CliIo } from '../io.ts';
import {
  type LocalAwsControl,
  LocalAwsUnavailableError,
  type RunningLocalAws,
} from '../local-aws-control.ts';
import type { LogLevel } from '../logs/levels.ts';
import { onStopSignal } from '../signals.ts';
import type { ManifestWithOptionalCampaign as LocalAwsManifest } from '../target/manifest.ts';
import { manifestPath, processAlive, readManifest, removeOwnManifestSync } from '../target/manifest.ts';
import { chooseClock, keepSavingClock } from '../target/state-clock.ts';
import { prepareStateDir } from '../target/state-dir.ts';

export type ControlLoader = () => Promise<LocalAwsControl>;

export interface UpSettings {
  readonly clockSpeed: number | undefined;
  readonly clockReset: boolean;
  readonly anyPorts: boolean;
  readonly privateCaDays: number | undefined;
  /** The functions' log level; with one, their logs are kept in the state directory (`recert logs`). */
  readonly functionLogLevel?: LogLevel | undefined;
}

/** Resolves on the caller's signal (tests) or on the process's first Ctrl-C or SIGTERM. */
function stopRequested(io: CliIo, stateDir: string): { stopped: Promise<void>; dispose(): void } {
  if (io.signal) {
    const signal = io.signal;
    const stopped = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return { stopped, dispose: () => {} };
  }
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  // The handlers stay while the services close: a repeated signal must not kill the process halfway.
  const stop = onStopSignal({
    onFirst: () => resolveStopped(),
    onForce: () => removeOwnManifestSync(stateDir),
  });
  return { stopped, dispose: () => stop.dispose() };
}

async function liveManifest(stateDir: string): Promise<LocalAwsManifest | undefined> {
  try {
    const manifest = await readManifest(stateDir);
    return processAlive(manifest.pid) ? manifest : undefined;
  } catch (error) {
    if (error instanceof TargetUnavailableError) return undefined;
    throw error;
  }
}

async function start(control: LocalAwsControl, options: Parameters<LocalAwsControl['startLocalAws']>[0]) {
  try {
    return await control.startLocalAws(options);
  } catch (error) {
    if (errorName(error) === 'LocalAwsAlreadyRunningError') {
      throw new RefusedError(errorMessage(error), { cause: error, hint: 'stop it with "recert local down"' });
    }
    if (systemCode(error) === 'EADDRINUSE') {
      throw new TargetUnavailableError(`a port the local AWS needs is taken: ${errorMessage(error)}`, {
        cause: error,
        hint: 'stop whatever listens there, or the other local AWS ("recert local status")',
      });
    }
    throw error;
  }
}

export async function up(
  context: CommandContext,
  stateDir: string,
  settings: UpSettings,
  load: ControlLoader,
) {
  const { io } = context;
  await prepareStateDir(stateDir);
  const running = await liveManifest(stateDir);
  if (running) {
    throw new RefusedError(`the local AWS already runs from ${stateDir} (process ${running.pid})`, {
      hint: 'use it, or stop it with "recert local down"',
    });
  }
  let control: LocalAwsControl;
  try {
    control = await load();
  } catch (error) {
    if (error instanceof LocalAwsUnavailableError) {
      throw new TargetUnavailableError(`recert local up is not available: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const chosen = chooseClock(stateDir, {
    ...(settings.clockSpeed !== undefined ? { speed: settings.clockSpeed } : {}),
    reset: settings.clockReset,
  });
  const stop = stopRequested(io, stateDir);
  let local: RunningLocalAws;
  try {
    local = await start(control, {
      stateDir,
      clockSpeed: chosen.speed,
      clock: chosen.clock,
      ...(settings.anyPorts ? { ports: { stepFunctions: 0, iot: 0, mqtt: 0, dynamodb: 0, events: 0 } } : {}),
      ...(settings.privateCaDays !== undefined ? { privateCaDays: settings.privateCaDays } : {}),
      ...(settings.functionLogLevel
        ? { functionLogLevel: settings.functionLogLevel.toUpperCase() as Uppercase<LogLevel> }
        : {}),
      log: (line) => io.stderr(line),
    });
  } catch (error) {
    stop.dispose();
    throw error;
  }
  const stopSavingClock = keepSavingClock(stateDir, chosen.clock);
  const { endpoints } = local.manifest;
  io.stdout(`Local AWS running (process ${local.manifest.pid}, clock speed ${local.manifest.clockSpeed}):`);
  io.stdout(`  Clock           ${chosen.description}`);
  io.stdout(`  Step Functions  ${endpoints.stepFunctions}`);
  io.stdout(`  IoT             ${endpoints.iot}`);
  io.stdout(`  IoT data        ${endpoints.iotData}`);
  io.stdout(
    `  MQTT (mTLS)     ${endpoints.mqtt.host}:${endpoints.mqtt.port}  (root CA ${endpoints.rootCaPath})`,
  );
  io.stdout(`  DynamoDB        ${endpoints.dynamodb}`);
  io.stdout(`  SNS             ${endpoints.sns}`);
  io.stdout(`  EventBridge     ${endpoints.eventBridge}`);
  if (endpoints.acmPca) io.stdout(`  ACM Private CA  ${endpoints.acmPca}`);
  if (settings.functionLogLevel) {
    const where = functionLogPaths(stateDir).current;
    io.stdout(`  Function logs   ${where}  (${settings.functionLogLevel}; "recert logs --local")`);
  }
  const fleetConsole = await (await import('../../console/index.ts')).serveLocalConsole(stateDir, io);
  io.stdout(`Manifest ${manifestPath(stateDir)}. Stop with Ctrl-C or "recert local down".`);
  await stop.stopped;
  io.stderr('Stopping the local AWS...');
  try {
    await stopSavingClock();
    await fleetConsole.close();
    await local.stop();
  } finally {
    stop.dispose();
  }
  io.stderr('Stopped.');
  return EXIT.ok;
}
