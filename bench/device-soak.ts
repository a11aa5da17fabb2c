/**
 * `npm run bench:soak`: real `recert device run` processes on a local AWS restarted every minute,
 * with rotations started all along; fails when an agent exits or a rotation fails (bench/README.md).
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveProcesses, RecertProcess } from './device-soak-process.ts';
import { type RotationCounts, SoakRotations } from './device-soak-rotations.ts';
import { parseSoakFlags, SOAK_USAGE, SoakFlagError, type SoakSettings } from './device-soak-settings.ts';
import { SoakLocalAws } from './device-soak-stack.ts';

const CONNECTED_WITHIN_MS = 120_000;
const POLL_MS = 1_000;
const FORCE_AFTER_MS = 2_000;

interface Agent {
  readonly thingName: string;
  readonly process: RecertProcess;
}

interface SoakResult {
  readonly settings: SoakSettings;
  readonly agents: readonly Agent[];
  readonly aliveAtEnd: number;
  readonly agentExits: readonly string[];
  readonly restartsDue: number;
  readonly local: SoakLocalAws;
  readonly rotations: RotationCounts;
  readonly rotatedEvents: number;
  /** Rotations in flight when a restart began, summed over the restarts. */
  readonly acrossRestarts: number;
  readonly backAfterLastRestart: number;
  readonly load: readonly [number, number];
  readonly stoppedEarly: boolean;
}

const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

class Stop {
  requested = false;
  private wake: (() => void) | undefined;

  request(): void {
    this.requested = true;
    this.wake?.();
  }

  /** Sleeps `ms`, or less when a stop is requested. */
  sleep(ms: number): Promise<void> {
    if (this.requested) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

async function soak(settings: SoakSettings, workDir: string, stop: Stop): Promise<SoakResult> {
  const stateDir = join(workDir, '.recert');
  // A kept directory holds the functions' logs too, for "recert logs --local" afterwards.
  const local = new SoakLocalAws(workDir, stateDir, settings.keep ? ['--log-level', 'info'] : []);
  const agentExits: string[] = [];
  const agents: Agent[] = [];
  const recert = (args: string[]) => new RecertProcess(args, workDir);
  const rotations = new SoakRotations(recert, stateDir, log);
  const loadAtStart = loadavg()[0] ?? 0;
  let restartsDue = 0;
  let backAfterLastRestart = 0;
  let aliveAtEnd = 0;
  let acrossRestarts = 0;
  try {
    log(`recert local up --any-ports --state-dir ${stateDir}`);
    const manifest = await local.up();
    log(`local AWS up, MQTT on ${manifest.endpoints.mqtt.host}:${manifest.endpoints.mqtt.port}`);
    for (let i = 1; i <= settings.devices && !stop.requested; i++) {
      const thingName = `soak-device-${i}`;
      const provision = recert(['device', 'provision', thingName, '--local', '--state-dir', stateDir]);
      const code = await provision.finished();
      if (code !== 0)
        throw new Error(`recert device provision ${thingName}: ${provision.errors.join('').trim()}`);
      const agent = new RecertProcess(
        ['device', 'run', '--dir', thingName],
        workDir,
        (_, exitCode, signal) => {
          const reason = `${thingName} exited with ${signal ?? exitCode}: ${agent.errors.join('').trim().slice(-500)}`;
          agentExits.push(reason);
          log(`AGENT EXITED: ${reason}`);
        },
        join(workDir, `${thingName}.agent.log`),
      );
      agents.push({ thingName, process: agent });
    }
    await waitFor(
      'every agent connected',
      () => agents.every((a) => a.process.events('connected').length > 0),
      stop,
    );
    log(`${agents.length} agents connected; soaking for ${settings.minutes} min`);

    const began = Date.now();
    const end = began + settings.minutes * 60_000;
    const restartMs = settings.restartEvery * 1000;
    let nextRestart: number | undefined = began + restartMs <= end ? began + restartMs : undefined;
    let nextRound = began;
    let marks: number[] | undefined;
    let stackUp = true;
    while (!stop.requested) {
      if (nextRestart !== undefined && Date.now() >= nextRestart) {
        restartsDue += 1;
        // A round just before the stop, so rotations are in flight while the stack goes down.
        await startRound(agents, rotations);
        nextRound = Date.now() + settings.rotateEvery * 1000;
        await pollRotations(rotations);
        const caught = rotations.counts().running;
        acrossRestarts += caught;
        log(
          `restart ${restartsDue}: Ctrl-C on recert local up (${caught} rotations in flight), then up again`,
        );
        marks = agents.map((a) => a.process.lines.length);
        try {
          await local.restart();
        } catch (error) {
          log(`restart ${restartsDue} failed: ${error instanceof Error ? error.message : String(error)}`);
          stackUp = false;
          break;
        }
        log(`restart ${restartsDue} done in ${local.downtimes.at(-1)?.toFixed(1)} s`);
        // Every interval; on a slow machine, where a restart can outlast one, up half an interval at least.
        const next: number = Math.max(nextRestart + restartMs, Date.now() + restartMs / 2);
        nextRestart = next <= end ? next : undefined;
        continue;
      }
      if (Date.now() >= end && nextRestart === undefined) break;
      if (Date.now() < end && Date.now() >= nextRound) {
        await startRound(agents, rotations);
        nextRound = Date.now() + settings.rotateEvery * 1000;
      }
      await pollRotations(rotations);
      await stop.sleep(POLL_MS);
    }

    if (stackUp) {
      log(
        `soak over; waiting up to ${settings.drain} s for the rotations in flight and the agents to reconnect`,
      );
      const drainEnd = Date.now() + settings.drain * 1000;
      while (
        !stop.requested &&
        Date.now() < drainEnd &&
        (rotations.counts().running > 0 || backAfter(agents, marks) < agents.length)
      ) {
        await pollRotations(rotations);
        await stop.sleep(POLL_MS);
      }
      await pollRotations(rotations);
      for (const r of rotations.all.filter((rotation) => rotation.status === 'RUNNING')) {
        const age = ((Date.now() - r.startedAt) / 1000).toFixed(0);
        log(
          `still running after ${age} s: ${r.thingName} (${r.executionArn}); "recert rotations show" tells where`,
        );
      }
    }
    backAfterLastRestart = backAfter(agents, marks);
  } finally {
    aliveAtEnd = agents.filter((a) => a.process.running).length;
    log(`stopping ${aliveAtEnd} agents and the local AWS`);
    await Promise.all(agents.map((a) => a.process.stop('SIGTERM')));
    await local.down();
  }
  return {
    settings,
    agents,
    aliveAtEnd,
    agentExits,
    restartsDue,
    local,
    rotations: rotations.counts(),
    acrossRestarts,
    rotatedEvents: agents.reduce((sum, a) => sum + a.process.events('rotated').length, 0),
    backAfterLastRestart,
    load: [loadAtStart, loadavg()[0] ?? 0],
    stoppedEarly: stop.requested,
  };
}

/** A rotation for each running agent with none in flight. */
async function startRound(agents: readonly Agent[], rotations: SoakRotations): Promise<void> {
  const idle = agents.filter((a) => !rotations.inFlight(a.thingName) && a.process.running);
  await Promise.all(idle.map((a) => rotations.start(a.thingName)));
}

/** Agents that lost their connection after their line `marks` (taken at the last Ctrl-C) and connected again. */
function backAfter(agents: readonly Agent[], marks: readonly number[] | undefined): number {
  if (marks === undefined) return agents.length;
  return agents.filter((a, i) => {
    const since = a.process.lines.slice(marks[i] ?? 0);
    const lost = since.findIndex((line) => line.includes('"type":"disconnected"'));
    return lost >= 0 && since.slice(lost).some((line) => line.includes('"type":"connected"'));
  }).length;
}

async function pollRotations(rotations: SoakRotations): Promise<void> {
  try {
    for (const r of await rotations.poll()) {
      const seconds = (((r.endedAt ?? 0) - r.startedAt) / 1000).toFixed(1);
      log(`rotation of ${r.thingName} ${r.status} after ${seconds} s${r.error ? `: ${r.error}` : ''}`);
    }
  } catch (error) {
    log(`could not read the rotations' status: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function waitFor(what: string, done: () => boolean, stop: Stop): Promise<void> {
  const deadline = Date.now() + CONNECTED_WITHIN_MS;
  while (!done()) {
    if (stop.requested) throw new Error(`stopped while waiting for ${what}`);
    if (Date.now() > deadline)
      throw new Error(`timed out after ${CONNECTED_WITHIN_MS / 1000} s waiting for ${what}`);
    await stop.sleep(250);
  }
}

function report(result: SoakResult): string[] {
  const { settings, rotations, local } = result;
  const { aliveAtEnd } = result;
  const downtimes = [...local.downtimes].sort((a, b) => a - b);
  const problems = [
    ...(aliveAtEnd < result.agents.length
      ? [`${result.agents.length - aliveAtEnd} agent(s) not running`]
      : []),
    ...(result.agentExits.length > 0 ? [`${result.agentExits.length} agent exit(s)`] : []),
    ...(rotations.failed > 0 ? [`${rotations.failed} rotation(s) failed`] : []),
    ...(rotations.running > 0 ? [`${rotations.running} rotation(s) still running after the drain`] : []),
    ...local.failures,
  ];
  return [
    `soak: ${settings.minutes} min, ${settings.devices} devices, local AWS restarted every ${settings.restartEvery} s, a rotation per idle device every ${settings.rotateEvery} s${result.stoppedEarly ? ' (stopped early)' : ''}`,
    `restarts done:                ${downtimes.length} of ${result.restartsDue} due` +
      (downtimes.length > 0
        ? `, each ${downtimes[0]?.toFixed(1)} to ${downtimes.at(-1)?.toFixed(1)} s from Ctrl-C to up again`
        : ''),
    `agent processes alive:        ${aliveAtEnd} of ${result.agents.length}`,
    `agent exits seen:             ${result.agentExits.length}`,
    `agents back after the last restart: ${result.backAfterLastRestart} of ${result.agents.length}`,
    `rotations started:            ${rotations.started}`,
    `rotations succeeded:          ${rotations.succeeded}`,
    `rotations failed:             ${rotations.failed}`,
    `rotations still running:      ${rotations.running}`,
    `rotations in flight at a restart: ${result.acrossRestarts}`,
    `recert rotate starting none:  ${rotations.refused}`,
    `agents' "rotated" events:     ${result.rotatedEvents}`,
    `load average (1 min), start / end: ${result.load[0].toFixed(2)} / ${result.load[1].toFixed(2)} on ${cpus().length} cores`,
    problems.length === 0 ? 'PASS' : `FAIL: ${problems.join('; ')}`,
  ];
}

async function main(): Promise<number> {
  let settings: SoakSettings | undefined;
  try {
    settings = parseSoakFlags(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof SoakFlagError)) throw error;
    process.stderr.write(`bench:soak: ${error.message}\n\n${SOAK_USAGE}\n`);
    return 2;
  }
  if (settings === undefined) {
    process.stdout.write(`${SOAK_USAGE}\n`);
    return 0;
  }
  const stop = new Stop();
  const workDir = await mkdtemp(join(tmpdir(), 'recert-soak-'));
  let firstSignalAt: number | undefined;
  const onSignal = () => {
    // npm and tsx pass a terminal's Ctrl-C on as well: the same signal arrives twice at once.
    if (firstSignalAt !== undefined && Date.now() - firstSignalAt > FORCE_AFTER_MS) {
      for (const child of liveProcesses()) void child.stop('SIGKILL');
      if (!settings.keep) rmSync(workDir, { recursive: true, force: true });
      process.exit(130);
    }
    if (firstSignalAt !== undefined) return;
    firstSignalAt = Date.now();
    log('stopping: the agents, then the local AWS (Ctrl-C again to force)');
    stop.request();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await soak(settings, workDir, stop);
    const lines = report(result);
    process.stdout.write(`${lines.join('\n')}\n`);
    if (stop.requested) return 130;
    return lines.at(-1) === 'PASS' ? 0 : 1;
  } catch (error) {
    process.stderr.write(`bench:soak: ${error instanceof Error ? error.message : String(error)}\n`);
    return stop.requested ? 130 : 1;
  } finally {
    if (settings.keep) log(`kept ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
