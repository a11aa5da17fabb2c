import { StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBehaviourMix } from '../../device/fleet/behaviour-mix.ts';
import { type FleetDeviceSpec, type FleetSimulator, planFleet } from '../../device/fleet/fleet-simulator.ts';
import { CampaignStore } from '../../functions/shared/campaign-store.ts';
import { ManualClock } from '../../lib/clock.ts';
import type { LocalAws, LocalAwsOptions } from '../../local/stack/local-aws.ts';
import type { PacingSettings } from '../../workflows/campaign/pacing.ts';
import { eventually, fleetOn, rotationRecord, startLocal, stopLocal } from '../e2e/helpers.ts';

const DAY = 86_400_000;
// A campaign's work is bounded but heavy for a busy 2-core machine: generous deadlines, which only a
// failure reaches.
const DEADLINE_MS = 300_000;
const TEST_TIMEOUT_MS = 420_000;

interface Run {
  readonly local: LocalAws;
  readonly fleet: FleetSimulator;
  readonly specs: readonly FleetDeviceSpec[];
  readonly store: CampaignStore;
  readonly campaignId: string;
}

/** A local AWS with the given pacing, a fleet whose certificates all expire, and an audit of it. */
async function auditedFleet(
  env: { local: LocalAws },
  mix: string,
  size: number,
  prefix: string,
): Promise<Run> {
  const { local } = env;
  const now = local.clock.now();
  // Offline devices stay away for the whole test.
  const fleet = await fleetOn(local, { behaviourSettings: { offlineMs: DAY } });
  const specs = planFleet({
    size,
    mix: parseBehaviourMix(mix),
    prefix,
    validity: () => ({ notBefore: new Date(now - DAY), notAfter: new Date(now + 10 * DAY) }),
  });
  await fleet.provision(specs);
  await fleet.start();
  const audit = await local.clients.iot.send(
    new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] }),
  );
  const store = new CampaignStore(local.clients.dynamodb, local.resources.campaignTableName);
  return { local, fleet, specs, store, campaignId: `audit-${audit.taskId ?? ''}` };
}

/**
 * A local AWS started before a suite's tests and stopped after them, with the audited fleet the
 * tests run on it (stopped first).
 */
function localPerSuite(start: () => Promise<{ local: LocalAws; dir: string }>) {
  let env: { local: LocalAws; dir: string } | undefined;
  let run: Run | undefined;
  beforeAll(async () => {
    env = await start();
  });
  afterAll(async () => {
    await run?.fleet.stop();
    await stopLocal(env);
  });
  return {
    async auditedFleet(mix: string, size: number, prefix: string): Promise<Run> {
      if (!env) throw new Error('no local AWS');
      run = await auditedFleet(env, mix, size, prefix);
      return run;
    },
    /** The fleet a previous test of the suite ran; `missing` says what is missing without it. */
    lastRun(missing: string): Run {
      if (!run) throw new Error(missing);
      return run;
    },
  };
}

/**
 * The pacing given, pacer turns of 2 s and executions of 2 turns: a campaign of a few seconds already
 * hands over to a fresh execution, as one of hours does on AWS.
 */
function options(
  pacing: PacingSettings,
  settings: NonNullable<LocalAwsOptions['settings']>,
  turn = { seconds: 2, perExecution: 2 },
): Partial<LocalAwsOptions> {
  return {
    functionSettings: { pacing },
    settings,
    pacerTickSeconds: turn.seconds,
    campaignSettings: { CampaignTurnsPerExecution: turn.perExecution },
  };
}

/** The campaign's META once every rotation it started has ended. */
const startedRotationsEnded = (store: CampaignStore, campaignId: string) =>
  eventually(
    'the started rotations to end',
    async () => {
      const m = await store.getMeta(campaignId);
      return m && m.succeeded + m.failed >= m.started ? m : undefined;
    },
    DEADLINE_MS,
  );

const executionArnOf = (local: LocalAws, name: string): string =>
  `${local.resources.campaignStateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

describe('a paced campaign on the local AWS: audit -> campaign -> rotations', () => {
  const pacing: PacingSettings = {
    startsPerSecond: 5,
    maxInFlight: 5,
    failureRateThreshold: 0.5,
    minFinishedForFailureRate: 10,
  };
  // The services run on a clock the test moves, so a CSR wait times out only when the test says so
  // (when no answering device has a rotation in flight), however slow the machine is.
  const CSR_TIMEOUT_SECONDS = 600;
  const clock = new ManualClock(Date.now());
  // A device that does not answer is asked again a second after its first request times out,
  // then not for hours (so nothing runs when the test closes the local AWS).
  const suite = localPerSuite(() =>
    startLocal({
      ...options(pacing, {
        CsrTimeoutSeconds: CSR_TIMEOUT_SECONDS,
        CsrRetryIntervalSeconds: 1,
        CsrRetryBackoffRate: 1000,
        CsrRetryMaxDelaySeconds: 10_000,
        CsrRetryMaxAttempts: 5,
      }),
      clock,
    }),
  );

  it(
    'rotates every answering device across executions; offline devices do not hold up the rest',
    async () => {
      // Prepare: 30 devices, 6 of them offline: more than the in-flight ceiling of 5
      const { local, specs, store, campaignId } = await suite.auditedFleet(
        'healthy=80,offline=20',
        30,
        'pace',
      );
      const healthy = specs.filter((s) => s.behaviour === 'healthy').map((s) => s.thingName);
      const offline = specs.filter((s) => s.behaviour === 'offline').map((s) => s.thingName);
      expect(offline.length).toBeGreaterThan(pacing.maxInFlight);

      // Act: the campaign paces its starts and turns on the clock: move it half a second at a
      // time; only when no answering device has a rotation in flight, and away devices fill the
      // in-flight ceiling (or are all that is left), move it past a CSR timeout so they are parked.
      const nudge = async (): Promise<undefined> => {
        await clock.advance(500);
        return undefined;
      };
      let timeouts = 0;
      const meta = await eventually(
        'every answering device rotated and every away one parked',
        async () => {
          // The away devices' records and the campaign's counters (a few reads a turn on a busy machine).
          const offlineStatus = await Promise.all(
            offline.map(async (thingName) => (await rotationRecord(local, thingName))?.status),
          );
          const m = await store.getMeta(campaignId);
          if (!m) return nudge();
          const healthyDone = m.succeeded === healthy.length;
          if (healthyDone && m.status === 'STARTED_ALL' && m.parked === offline.length) return m;
          const offlineStarted = offlineStatus.filter((s) => s !== undefined).length;
          const waitingForDevice = offlineStatus.filter((s) => s === 'IN_PROGRESS').length - m.parked;
          const honestInFlight = m.started - m.succeeded - m.failed - offlineStarted > 0;
          const stuck = waitingForDevice >= pacing.maxInFlight || (healthyDone && waitingForDevice > 0);
          // A few timeouts at most: far from the away devices' last CSR attempt.
          if (!honestInFlight && stuck && timeouts < 10) {
            await clock.advance(CSR_TIMEOUT_SECONDS * 1000);
            timeouts++;
            return undefined;
          }
          return nudge();
        },
        DEADLINE_MS,
      );

      // Assess: all started, the offline ones parked and still waiting for their devices
      expect(meta).toMatchObject({ queued: 30, started: 30, succeeded: healthy.length, failed: 0 });
      for (const thingName of offline) {
        expect((await rotationRecord(local, thingName))?.status).toBe('IN_PROGRESS');
      }
      // Every rotation has an execution (the start rate itself is measured by `npm run bench:quota`).
      const listed = await local.clients.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: local.resources.stateMachineArn, maxResults: 100 }),
      );
      expect(listed.executions ?? []).toHaveLength(30);
      // Six seconds of starts at 5/s take more than the two 2-s turns of an execution: the first one
      // handed over to the next generation, which started the rest and ended once all were started.
      const ended = async (name: string) =>
        eventually(
          `campaign execution ${name} to end`,
          async () => {
            const out = await local.clients.sfn.send(
              new DescribeExecutionCommand({ executionArn: executionArnOf(local, name) }),
            );
            return out.status === 'RUNNING' ? await nudge() : out;
          },
          DEADLINE_MS,
        );
      const firstGeneration = await ended(campaignId);
      expect(firstGeneration.status).toBe('SUCCEEDED');
      expect(JSON.parse(firstGeneration.output ?? '{}')).toEqual({ campaignId, status: 'continued' });
      expect(meta.generation).toBeGreaterThanOrEqual(1);
      const lastGeneration = await ended(`${campaignId}--${meta.generation}`);
      expect(lastGeneration.status).toBe('SUCCEEDED');
      expect(JSON.parse(lastGeneration.output ?? '{}')).toEqual({ campaignId, status: 'done' });
    },
    TEST_TIMEOUT_MS,
  );
});

describe('a campaign whose rotations fail on the local AWS', () => {
  const pacing: PacingSettings = {
    startsPerSecond: 5,
    maxInFlight: 4,
    failureRateThreshold: 0.5,
    minFinishedForFailureRate: 4,
  };
  // A rejected CSR uses the only certificate attempt: the rotation fails at once.
  const suite = localPerSuite(() =>
    startLocal(options(pacing, { MaxCertificateAttempts: 1 }, { seconds: 10, perExecution: 250 })),
  );

  it(
    'stops starting rotations once the failure rate passes the threshold, and says why',
    async () => {
      // Prepare: every device answers with a CSR of a 1024-bit RSA key, which is refused
      const { local, store, campaignId } = await suite.auditedFleet('weak_key=100', 20, 'bad');

      // Act
      const execution = await eventually(
        'the campaign execution to fail',
        async () => {
          const out = await local.clients.sfn
            .send(new DescribeExecutionCommand({ executionArn: executionArnOf(local, campaignId) }))
            .catch(() => undefined);
          return out?.status === 'FAILED' ? out : undefined;
        },
        DEADLINE_MS,
      );

      // Assess: the execution failed at Pace with the reason, META says STOPPED with it, and most of
      // the fleet was never started
      expect(execution.error).toBe('RecertCampaignStopped');
      expect(execution.cause).toContain('over the 50% threshold; no more rotations are started');
      // Every rotation it started has ended (nothing runs when the test closes the local AWS).
      const meta = await startedRotationsEnded(store, campaignId);
      await local.idle();
      expect(meta.status).toBe('STOPPED');
      expect(meta.stopReason).toMatch(
        /^\d+ of \d+ rotations finished since the campaign started failed \(100%\)/,
      );
      expect(meta.started).toBeLessThan(20);
      expect(meta.nextPosition).toBeLessThan(20);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a resumed campaign is redriven at Pace, judges only what finishes from then on, and stops again',
    async () => {
      // Prepare: the stopped campaign of the previous test
      const { local, store, campaignId } = suite.lastRun('no stopped campaign');
      const before = await store.getMeta(campaignId);
      if (before?.status !== 'STOPPED') throw new Error('the campaign did not stop');

      // Act: resume (baseline = the counters now) and redrive the failed execution
      await store.resume(campaignId, local.clock.now());
      await local.clients.sfn.send(
        new RedriveExecutionCommand({ executionArn: executionArnOf(local, campaignId) }),
      );
      const execution = await eventually(
        'the redriven execution to fail again',
        async () => {
          const out = await local.clients.sfn.send(
            new DescribeExecutionCommand({ executionArn: executionArnOf(local, campaignId) }),
          );
          return out.status === 'FAILED' && (out.redriveCount ?? 0) === 1 ? out : undefined;
        },
        DEADLINE_MS,
      );
      const after = await startedRotationsEnded(store, campaignId);
      await local.idle();

      // Assess: it started where it stopped, and stopped again on the failures since the resume
      expect(execution.error).toBe('RecertCampaignStopped');
      expect(after.status).toBe('STOPPED');
      expect(after.nextPosition).toBeGreaterThan(before.nextPosition);
      expect(after.started).toBeGreaterThan(before.started);
      expect(after.stopReason).toMatch(
        /rotations finished since the campaign was resumed at \S+ failed \(100%\)/,
      );
    },
    TEST_TIMEOUT_MS,
  );
});
