import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.ts';
import { MANIFEST_FILE } from '../../local/stack/types.ts';
import { derivePacing } from '../../workflows/campaign/pacing.ts';
import { formatDuration } from '../../workflows/campaign/projections.ts';
import { META_ENTRY } from '../../workflows/campaign/table.ts';
import { runIn, useCliHarness } from './helpers/local-aws.ts';

const NOW = Date.now();
// The pacing an audit campaign gets by default: derived from AWS's default quotas.
const derived = derivePacing();
const pacing = {
  startsPerSecond: derived.startsPerSecond,
  maxInFlight: derived.maxInFlight,
  failureRateThreshold: derived.failureRateThreshold,
  minFinishedForFailureRate: derived.minFinishedForFailureRate,
};

async function putMeta(campaignId: string, item: Record<string, unknown>): Promise<void> {
  await h().db.send(
    new PutCommand({
      TableName: h().campaignTableName,
      Item: {
        campaignId,
        entry: META_ENTRY,
        source: {
          kind: 'audit',
          taskId: campaignId.replace(/^audit-/, ''),
          checkNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'],
        },
        pacing,
        createdAt: new Date(NOW - 100_000).toISOString(),
        updatedAt: new Date(NOW).toISOString(),
        ...item,
      },
    }),
  );
}

async function meta(campaignId: string): Promise<Record<string, unknown>> {
  const out = await h().db.send(
    new GetCommand({
      TableName: h().campaignTableName,
      Key: { campaignId, entry: META_ENTRY },
      ConsistentRead: true,
    }),
  );
  return out.Item ?? {};
}

async function startCampaignExecution(
  name: string,
  campaignId: string,
  settle: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const out = await h().sfn.send(
    new StartExecutionCommand({
      stateMachineArn: h().campaignStateMachineArn,
      name,
      input: JSON.stringify({ campaignId, source: { kind: 'manual', rotations: [] }, pacing, ...extra }),
    }),
  );
  const arn = out.executionArn ?? '';
  await h().waitForExecution(arn, settle);
  return arn;
}

let stoppedArn: string;

const h = useCliHarness();
beforeAll(async () => {
  // Prepare: a campaign running at its pace (its second generation took over), one the failure rate
  // stopped (its execution failed at Pace), one that started everything.
  await putMeta('audit-running', {
    status: 'RUNNING',
    enqueueDone: true,
    queued: 1000,
    nextPosition: 500,
    started: 475,
    alreadyStarted: 20,
    skipped: 5,
    succeeded: 400,
    failed: 3,
    parked: 12,
  });
  await startCampaignExecution('audit-running', 'audit-running', 'SUCCEEDED');
  await startCampaignExecution('audit-running--1', 'audit-running', 'SUCCEEDED');
  await putMeta('audit-stopped', {
    status: 'STOPPED',
    enqueueDone: true,
    queued: 100,
    nextPosition: 40,
    started: 40,
    succeeded: 20,
    failed: 8,
    parked: 2,
    stopReason:
      '8 of 28 rotations finished since the campaign started failed (28.6%), over the 10% threshold',
    stoppedAt: new Date(NOW - 50_000).toISOString(),
  });
  stoppedArn = await startCampaignExecution('audit-stopped', 'audit-stopped', 'FAILED');
  await putMeta('audit-done', {
    status: 'STARTED_ALL',
    enqueueDone: true,
    queued: 3,
    nextPosition: 3,
    started: 3,
    succeeded: 3,
  });
  await startCampaignExecution('audit-done', 'audit-done', 'SUCCEEDED');
});

describe('recert campaigns', () => {
  it('lists each campaign once with its counters, in flight, start rate and limit', async () => {
    // Act
    const result = await h().run(['campaigns']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^CAMPAIGN\s+STATUS\s+EXECUTION\s+STARTED\/QUEUED\s+SUCCEEDED\s+FAILED\s+IN FLIGHT\s+PARKED\s+START RATE\s+LIMITED BY/,
    );
    const running = lines.find((line) => line.startsWith('audit-running '));
    // In flight: 475 started - 400 succeeded - 3 failed - 12 parked.
    expect(running?.split(/\s+/)).toEqual(
      expect.arrayContaining([
        'RUNNING',
        'SUCCEEDED',
        '475/1000',
        '400',
        '3',
        '60',
        '12',
        `${pacing.startsPerSecond.toFixed(2)}/s`,
        derived.limitedBy.api,
      ]),
    );
    expect(lines.filter((line) => line.startsWith('audit-running')).length).toBe(1);
    expect(lines.find((line) => line.startsWith('audit-stopped '))).toMatch(/STOPPED\s+FAILED/);
    expect(lines.at(-1)).toBe('3 campaigns');
  });

  it('gives scripts JSON with the latest generation and the derived figures', async () => {
    // Act
    const result = await h().run(['campaigns', '--json']);
    // Assess
    const out = JSON.parse(result.stdout);
    const running = out.campaigns.find((c: { campaignId: string }) => c.campaignId === 'audit-running');
    expect(running.execution.generation).toBe(1);
    expect(running.progress).toMatchObject({ inFlight: 60, notStarted: 500, finished: 403 });
    expect(out.count).toBe(3);
  });

  it('refuses an unknown subcommand and a malformed id as usage errors', async () => {
    const unknown = await h().run(['campaigns', 'pause', 'audit-running']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toMatch(/unknown subcommand "pause"/);
    const bad = await h().run(['campaigns', 'show', 'no spaces']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/is not a campaign id/);
  });

  it('says so when the local AWS predates campaigns', async () => {
    // Prepare: the same running services, but a manifest without the campaign resources.
    const resources = Object.fromEntries(
      Object.entries(h().manifest.resources).filter(([key]) => !key.startsWith('campaign')),
    );
    const dir = join(h().stateDir, 'old');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...h().manifest, resources }));
    // Act
    const result = await runIn(['campaigns'], { RECERT_LOCAL: '1', RECERT_STATE_DIR: dir }, dir);
    // Assess
    expect(result.code).toBe(EXIT.refused);
    expect(result.stderr).toMatch(/this local AWS has no campaign table/);
  });
});

describe('recert campaigns show', () => {
  it('gives the counters, the measured start rate and the ETA at the pacing rate', async () => {
    // Act
    const result = await h().run(['campaigns', 'show', 'audit-running']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^status\s+RUNNING$/m);
    expect(result.stdout).toMatch(/^in flight\s+60$/m);
    expect(result.stdout).toMatch(/^parked \(offline\)\s+12$/m);
    // 475 started in the ~100 s since it was created.
    const measured = Number(/^measured start rate\s+([\d.]+)\/s$/m.exec(result.stdout)?.[1]);
    expect(measured).toBeGreaterThan(4);
    expect(measured).toBeLessThanOrEqual(4.75);
    // 500 left at the pacing rate.
    expect(result.stdout).toContain(
      `${formatDuration(500 / pacing.startsPerSecond)} to start the remaining 500`,
    );
    expect(result.stdout).toContain(`limited by ${derived.limitedBy.api}`);
    expect(result.stdout).toMatch(/audit-running--1/);
  });

  it('shows why a campaign stopped, from META and from its failed execution', async () => {
    // Act
    const result = await h().run(['campaigns', 'show', 'audit-stopped']);
    const json = JSON.parse((await h().run(['campaigns', 'show', 'audit-stopped', '--json'])).stdout);
    // Assess
    expect(result.stdout).toMatch(/^stop reason\s+8 of 28 rotations finished .* over the 10% threshold$/m);
    expect(result.stdout).toMatch(/^ETA\s+stopped: nothing is started until it is resumed$/m);
    expect(result.stdout).toMatch(/Latest execution FAILED: RecertCampaignStopped: 8 of 28/);
    expect(json.executionFailure.error).toBe('RecertCampaignStopped');
    expect(json.progress.failureRate).toBeCloseTo(8 / 28, 6);
  });

  it('takes the bare audit task id for the audit-<taskId> campaign', async () => {
    // Act
    const result = await h().run(['campaigns', 'show', 'running', '--json']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    expect(JSON.parse(result.stdout).campaignId).toBe('audit-running');
  });

  it('tells an unknown campaign (exit 4)', async () => {
    const result = await h().run(['campaigns', 'show', 'audit-nope']);
    expect(result.code).toBe(EXIT.notFound);
    expect(result.stderr).toMatch(/campaign audit-nope does not exist/);
  });
});

describe('recert campaigns stop and resume', () => {
  it('stops a running campaign with the operator reason, once', async () => {
    // Act
    const first = await h().run(['campaigns', 'stop', 'audit-running', '--reason', 'CA maintenance']);
    const again = await h().run(['campaigns', 'stop', 'audit-running']);
    // Assess
    expect(first.code).toBe(EXIT.ok);
    expect(await meta('audit-running')).toMatchObject({
      status: 'STOPPED',
      stopReason: 'stopped by an operator: CA maintenance',
    });
    expect(again.code).toBe(EXIT.ok);
    expect(again.stdout).toMatch(/already stopped: stopped by an operator: CA maintenance/);
  });

  it('refuses to stop a campaign that started everything, or one that does not exist', async () => {
    const done = await h().run(['campaigns', 'stop', 'audit-done']);
    expect(done.code).toBe(EXIT.refused);
    expect((await meta('audit-done')).status).toBe('STARTED_ALL');
    const missing = await h().run(['campaigns', 'stop', 'audit-nope']);
    expect(missing.code).toBe(EXIT.notFound);
    expect(await meta('audit-nope')).toEqual({});
  });

  it('resumes a stopped campaign: baseline of this moment, no reason left, execution redriven at Pace', async () => {
    // Act
    const result = await h().run(['campaigns', 'resume', 'audit-stopped', '--json']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    expect(JSON.parse(result.stdout).execution).toEqual({ action: 'redriven', executionArn: stoppedArn });
    const item = await meta('audit-stopped');
    expect(item).toMatchObject({ status: 'RUNNING', baselineSucceeded: 20, baselineFailed: 8 });
    expect(item.stopReason).toBeUndefined();
    expect(typeof item.resumedAt).toBe('string');
    // The redriven execution reads RUNNING at Pace and ends.
    await h().waitForExecution(stoppedArn, 'SUCCEEDED');
    const described = await h().sfn.send(new DescribeExecutionCommand({ executionArn: stoppedArn }));
    expect(described.redriveCount).toBe(1);
  });

  it("refuses to resume while the stopped campaign's execution still runs, and changes nothing", async () => {
    // Prepare: stopped in META, its execution between two pacer turns.
    await putMeta('audit-held', {
      status: 'STOPPED',
      stopReason: 'stopped by an operator',
      queued: 5,
      started: 1,
    });
    await startCampaignExecution('audit-held', 'audit-held', 'RUNNING', { hold: true });
    // Act
    const result = await h().run(['campaigns', 'resume', 'audit-held']);
    // Assess
    expect(result.code).toBe(EXIT.refused);
    expect(result.stderr).toMatch(/execution of campaign audit-held is still RUNNING/);
    expect(await meta('audit-held')).toMatchObject({
      status: 'STOPPED',
      stopReason: 'stopped by an operator',
    });
  });

  it('refuses to resume a campaign that is not stopped', async () => {
    const result = await h().run(['campaigns', 'resume', 'audit-done']);
    expect(result.code).toBe(EXIT.refused);
    expect(result.stderr).toMatch(/is STARTED_ALL, not STOPPED/);
  });
});
