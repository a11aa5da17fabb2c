import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { LocalAws } from '../../local/stack/local-aws.ts';
import { META_ENTRY } from '../../workflows/campaign/table.ts';
import { eventually } from './helpers.ts';
import { fleetInvariantViolations } from './invariants.ts';
import { recordWithStatus, restartableScenarioPerTest, restartSettings, runAudit } from './scenario.ts';

/** A reply the stop cuts off before Step Functions heard it waits for the workflow's own timeout. */
const settings = restartSettings(15);
/** Bounded but heavy on a busy machine: a generous timeout, which only a failure reaches. */
const TEST_TIMEOUT_MS = 300_000;
/** Two starts a second: a dozen devices keep the campaign starting long enough to stop it midway. */
const functionSettings = {
  pacing: { startsPerSecond: 2, maxInFlight: 100, failureRateThreshold: 0.5, minFinishedForFailureRate: 5 },
};

async function campaignMeta(local: LocalAws): Promise<Record<string, unknown> | undefined> {
  const page = await local.clients.documents.send(
    new ScanCommand({
      TableName: local.resources.campaignTableName,
      FilterExpression: 'entry = :meta',
      ExpressionAttributeValues: { ':meta': META_ENTRY },
    }),
  );
  return page.Items?.[0];
}

describe('a campaign across a restart of the local AWS', () => {
  const scenarios = restartableScenarioPerTest();

  it(
    'keeps its queue and cursor: after the restart it starts the rest, each rotation once',
    async () => {
      // Prepare: a paced campaign, stopped once a few of its rotations have started.
      const scenario = await scenarios.start({
        local: { functionSettings, settings },
        behaviours: Array.from({ length: 12 }, () => 'healthy' as const),
        prefix: 'camp-restart',
        backoff: { initialMs: 250, maxMs: 1_000 },
      });
      const first = scenario.local;
      await runAudit(first);
      const before = await eventually('a few rotations started', async () => {
        const meta = await campaignMeta(first);
        return Number(meta?.started ?? 0) >= 3 ? meta : undefined;
      });

      // Act: stop everything mid-campaign, then start again on the same state directory.
      const local = await scenarios.restart({ functionSettings, settings });
      for (const device of scenario.devices) {
        await recordWithStatus(local, device.thingName, ['SUCCEEDED'], 200_000);
      }

      // Assess: the queue was not done at the stop, and after it every device was rotated by exactly
      // one execution; the campaign counted each start once and ended STARTED_ALL.
      expect(Number(before.started)).toBeLessThan(scenario.devices.length);
      const executions = await local.clients.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: local.resources.stateMachineArn, maxResults: 100 }),
      );
      expect(executions.executions?.length).toBe(scenario.devices.length);
      const meta = await eventually(
        'the campaign ended',
        async () => {
          const m = await campaignMeta(local);
          return m?.status === 'STARTED_ALL' && Number(m.succeeded) === scenario.devices.length
            ? m
            : undefined;
        },
        120_000,
      );
      expect(meta).toMatchObject({ queued: 12, started: 12, nextPosition: 12, failed: 0 });
      expect(await fleetInvariantViolations(local, scenario.fleet)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
