import { readFile } from 'node:fs/promises';
import { StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBehaviourMix } from '../../device/fleet/behaviour-mix.ts';
import { type FleetDeviceSpec, FleetSimulator, planFleet } from '../../device/fleet/fleet-simulator.ts';
import { LocalIotProvisioner } from '../../device/fleet/local-iot-provisioner.ts';
import { CampaignStore } from '../../functions/shared/campaign-store.ts';
import type { LocalAws, LocalAwsOptions } from '../../local/stack/local-aws.ts';
import type { PacingSettings } from '../../workflows/campaign/pacing.ts';
import { eventually, rotationRecord, startLocal, stopLocal } from '../e2e/helpers.ts';

const DAY = 86_400_000;

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
  const fleet = new FleetSimulator({
    endpoint: local.endpoints.mqtt,
    serverCaPem: await readFile(local.endpoints.rootCaPath, 'utf8'),
    provisioner: new LocalIotProvisioner(local.iot),
    clock: local.clock,
    // Offline devices stay away for the whole test.
    behaviourSettings: { offlineMs: DAY },
  });
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

const executionArnOf = (local: LocalAws, name: string): string =>
  `${local.resources.campaignStateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

describe('a paced campaign on the local AWS: audit -> campaign -> rotations', () => {
  const pacing: PacingSettings = {
    startsPerSecond: 5,
    maxInFlight: 5,
    failureRateThreshold: 0.5,
    minFinishedForFailureRate: 10,
  };
  let env: { local: LocalAws; dir: string } | undefined;
  let run: Run | undefined;

  beforeAll(async () => {
    // A device that does not answer is asked again 3 s after the first request, then not for hours
    // (so nothing runs when the test closes the local AWS).
    env = await startLocal(
      options(pacing, {
        CsrTimeoutSeconds: 2,
        CsrRetryIntervalSeconds: 1,
        CsrRetryBackoffRate: 1000,
        CsrRetryMaxDelaySeconds: 10_000,
        CsrRetryMaxAttempts: 5,
      }),
    );
  });
  afterAll(async () => {
    await run?.fleet.stop();
    await stopLocal(env);
  });

  it('rotates every answering device at no more than the start rate, across executions; offline devices do not hold up the rest', async () => {
    // Prepare: 30 devices, 6 of them offline: more than the in-flight ceiling of 5
    if (!env) throw new Error('no local AWS');
    run = await auditedFleet(env, 'healthy=80,offline=20', 30, 'pace');
    const { local, specs, store, campaignId } = run;
    const healthy = specs.filter((s) => s.behaviour === 'healthy').map((s) => s.thingName);
    const offline = specs.filter((s) => s.behaviour === 'offline').map((s) => s.thingName);
    expect(offline.length).toBeGreaterThan(pacing.maxInFlight);

    // Act: wait for every answering device to be rotated
    for (const thingName of healthy) {
      await eventually(
        `${thingName} rotated`,
        async () => ((await rotationRecord(local, thingName))?.status === 'SUCCEEDED' ? true : undefined),
        90_000,
      );
    }

    // Assess: all started, the offline ones parked and still waiting for their devices
    const meta = await eventually('the campaign to have started every rotation', async () => {
      const m = await store.getMeta(campaignId);
      return m?.status === 'STARTED_ALL' && m.parked === offline.length ? m : undefined;
    });
    expect(meta).toMatchObject({ queued: 30, started: 30, succeeded: healthy.length, failed: 0 });
    for (const thingName of offline) {
      expect((await rotationRecord(local, thingName))?.status).toBe('IN_PROGRESS');
    }
    // The measured start rate: 5/s over the whole campaign, and no burst: at most 5 starts in any
    // second. The engine stamps a start when it receives it, and a stall of the shared machine (a few
    // hundred ms) bunches the starts queued behind it: 10% and two starts of slack.
    const listed = await local.clients.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: local.resources.stateMachineArn, maxResults: 100 }),
    );
    const starts = (listed.executions ?? []).map((e) => e.startDate?.getTime() ?? 0).sort((a, b) => a - b);
    expect(starts).toHaveLength(30);
    const first = starts[0] ?? 0;
    const last = starts.at(-1) ?? 0;
    const rate = (starts.length - 1) / ((last - first) / 1000);
    expect(rate).toBeLessThanOrEqual(pacing.startsPerSecond * 1.1);
    const mostInOneSecond = Math.max(
      ...starts.map((t) => starts.filter((u) => u >= t && u < t + 1000).length),
    );
    expect(mostInOneSecond).toBeLessThanOrEqual(pacing.startsPerSecond + 2);
    // Six seconds of starts at 5/s take more than the two 2-s turns of an execution: the first one
    // handed over to the next generation, which started the rest and ended once all were started.
    const ended = async (name: string) =>
      eventually(`campaign execution ${name} to end`, async () => {
        const out = await local.clients.sfn.send(
          new DescribeExecutionCommand({ executionArn: executionArnOf(local, name) }),
        );
        return out.status === 'RUNNING' ? undefined : out;
      });
    const firstGeneration = await ended(campaignId);
    expect(firstGeneration.status).toBe('SUCCEEDED');
    expect(JSON.parse(firstGeneration.output ?? '{}')).toEqual({ campaignId, status: 'continued' });
    expect(meta.generation).toBeGreaterThanOrEqual(1);
    const lastGeneration = await ended(`${campaignId}--${meta.generation}`);
    expect(lastGeneration.status).toBe('SUCCEEDED');
    expect(JSON.parse(lastGeneration.output ?? '{}')).toEqual({ campaignId, status: 'done' });
  });
});

describe('a campaign whose rotations fail on the local AWS', () => {
  const pacing: PacingSettings = {
    startsPerSecond: 5,
    maxInFlight: 4,
    failureRateThreshold: 0.5,
    minFinishedForFailureRate: 4,
  };
  let env: { local: LocalAws; dir: string } | undefined;
  let run: Run | undefined;

  beforeAll(async () => {
    // A rejected CSR uses the only certificate attempt: the rotation fails at once.
    env = await startLocal(
      options(pacing, { MaxCertificateAttempts: 1 }, { seconds: 10, perExecution: 250 }),
    );
  });
  afterAll(async () => {
    await run?.fleet.stop();
    await stopLocal(env);
  });

  it('stops starting rotations once the failure rate passes the threshold, and says why', async () => {
    // Prepare: every device answers with a CSR of a 1024-bit RSA key, which is refused
    if (!env) throw new Error('no local AWS');
    run = await auditedFleet(env, 'weak_key=100', 20, 'bad');
    const { local, store, campaignId } = run;

    // Act
    const execution = await eventually(
      'the campaign execution to fail',
      async () => {
        const out = await local.clients.sfn
          .send(new DescribeExecutionCommand({ executionArn: executionArnOf(local, campaignId) }))
          .catch(() => undefined);
        return out?.status === 'FAILED' ? out : undefined;
      },
      60_000,
    );

    // Assess: the execution failed at Pace with the reason, META says STOPPED with it, and most of
    // the fleet was never started
    expect(execution.error).toBe('RecertCampaignStopped');
    expect(execution.cause).toContain('over the 50% threshold; no more rotations are started');
    // Every rotation it started has ended (nothing runs when the test closes the local AWS).
    const meta = await eventually('the started rotations to end', async () => {
      const m = await store.getMeta(campaignId);
      return m && m.succeeded + m.failed >= m.started ? m : undefined;
    });
    await local.idle();
    expect(meta.status).toBe('STOPPED');
    expect(meta.stopReason).toMatch(
      /^\d+ of \d+ rotations finished since the campaign started failed \(100%\)/,
    );
    expect(meta.started).toBeLessThan(20);
    expect(meta.nextPosition).toBeLessThan(20);
  });

  it('a resumed campaign is redriven at Pace, judges only what finishes from then on, and stops again', async () => {
    // Prepare: the stopped campaign of the previous test
    if (!run) throw new Error('no stopped campaign');
    const { local, store, campaignId } = run;
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
      60_000,
    );
    const after = await eventually('the started rotations to end', async () => {
      const m = await store.getMeta(campaignId);
      return m && m.succeeded + m.failed >= m.started ? m : undefined;
    });
    await local.idle();

    // Assess: it started where it stopped, and stopped again on the failures since the resume
    expect(execution.error).toBe('RecertCampaignStopped');
    expect(after.status).toBe('STOPPED');
    expect(after.nextPosition).toBeGreaterThan(before.nextPosition);
    expect(after.started).toBeGreaterThan(before.started);
    expect(after.stopReason).toMatch(
      /rotations finished since the campaign was resumed at \S+ failed \(100%\)/,
    );
  });
});
