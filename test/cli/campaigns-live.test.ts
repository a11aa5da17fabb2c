import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.ts';
import { LocalAws } from '../../local/stack/local-aws.ts';
import type { CampaignInput } from '../../workflows/campaign/types.ts';
import { runIn } from './helpers/local-aws.ts';

// The campaign commands against the real campaign workflow on the whole local AWS: a campaign of
// 12 devices that are offline (their rotations wait for a CSR), started at 2 per second, stopped
// by an operator midway, then resumed.
let dir: string;
let local: LocalAws;
const run = (argv: string[]) => runIn([...argv, '--local', '--state-dir', dir], {}, dir);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const showJson = async () => JSON.parse((await run(['campaigns', 'show', 'ops-1', '--json'])).stdout);

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  dir = await mkdtemp(join(tmpdir(), 'recert-cli-campaign-'));
  local = await LocalAws.start({
    stateDir: dir,
    ports: { stepFunctions: 0, iot: 0, mqtt: 0, dynamodb: 0, events: 0 },
  });
  const rotations = [];
  for (let i = 0; i < 12; i += 1) {
    const device = await local.iot.provisionDevice({ thingName: `ops-${String(i).padStart(2, '0')}` });
    rotations.push({ thingName: device.thingName, oldCertificateId: device.certificateId });
  }
  const input: CampaignInput = {
    campaignId: 'ops-1',
    source: { kind: 'manual', rotations },
    pacing: {
      startsPerSecond: 2,
      maxInFlight: 100,
      failureRateThreshold: 0.5,
      minFinishedForFailureRate: 20,
    },
  };
  await local.clients.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: local.resources.campaignStateMachineArn,
      name: 'ops-1',
      input: JSON.stringify(input),
    }),
  );
});
afterAll(async () => {
  await local?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('recert campaigns on the real campaign workflow', () => {
  it('stops a running campaign midway, shows why, and resumes it to the end', async () => {
    // Prepare: a few rotations started.
    await until('two starts', async () => ((await showJson()).started >= 2 ? true : undefined));

    // Act: stop it.
    const stop = await run(['campaigns', 'stop', 'ops-1', '--reason', 'CA maintenance']);

    // Assess: the pacer fails the campaign execution at Pace with the operator's reason.
    expect(stop.code).toBe(EXIT.ok);
    const stopped = await until('the execution to fail', async () => {
      const shown = await showJson();
      return shown.executions[0]?.status === 'FAILED' ? shown : undefined;
    });
    expect(stopped.status).toBe('STOPPED');
    expect(stopped.executionFailure.error).toBe('RecertCampaignStopped');
    expect(stopped.executionFailure.cause).toContain('stopped by an operator: CA maintenance');
    expect(stopped.started).toBeLessThan(12);
    const startedWhenStopped = stopped.started;
    const list = await run(['campaigns']);
    expect(list.stdout).toMatch(
      new RegExp(`^ops-1\\s+STOPPED\\s+FAILED\\s+${startedWhenStopped}/12\\s`, 'm'),
    );

    // Act: resume it.
    const resume = await run(['campaigns', 'resume', 'ops-1', '--json']);

    // Assess: redriven at Pace, it starts the rest and ends.
    expect(resume.code).toBe(EXIT.ok);
    expect(JSON.parse(resume.stdout).execution.action).toBe('redriven');
    const done = await until('every start', async () => {
      const shown = await showJson();
      return shown.status === 'STARTED_ALL' ? shown : undefined;
    });
    expect(done.started).toBe(12);
    expect(done.stopReason).toBeUndefined();
    expect(done.resumedAt).toEqual(expect.any(String));
    const execution = await local.clients.sfn.send(
      new DescribeExecutionCommand({ executionArn: done.executions[0].executionArn }),
    );
    expect(execution.redriveCount).toBe(1);
  });
});
