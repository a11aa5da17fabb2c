import { rm } from 'node:fs/promises';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalAws } from '../../local/stack/local-aws.ts';
import { META_ENTRY } from '../../workflows/campaign/table.ts';
import { eventually } from './helpers.ts';
import { fleetInvariantViolations } from './invariants.ts';
import { recordWithStatus, runAudit, type Scenario, startScenario } from './scenario.ts';

/**
 * A reply the stop cuts off before Step Functions heard it is recovered by the workflow's own timeout
 * and repeated request: short next to the defaults, long next to a device's answer on a busy machine
 * (as in local-aws-restart.test.ts).
 */
const settings = {
  CsrTimeoutSeconds: 15,
  CsrRetryIntervalSeconds: 1,
  AckTimeoutSeconds: 15,
  AckRetryIntervalSeconds: 1,
  AckRetryMaxAttempts: 5,
};
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
  let scenario: Scenario | undefined;
  let restarted: LocalAws | undefined;

  afterEach(async () => {
    await scenario?.fleet.stop();
    await restarted?.close();
    if (scenario) await rm(scenario.env.dir, { recursive: true, force: true });
    scenario = undefined;
    restarted = undefined;
  });

  it(
    'keeps its queue and cursor: after the restart it starts the rest, each rotation once',
    async () => {
      // Prepare: a paced campaign, stopped once a few of its rotations have started.
      scenario = await startScenario({
        local: { functionSettings, settings },
        behaviours: Array.from({ length: 12 }, () => 'healthy' as const),
        prefix: 'camp-restart',
        backoff: { initialMs: 250, maxMs: 1_000 },
      });
      const first = scenario.local;
      const ports = { mqtt: first.endpoints.mqtt.port, stepFunctions: 0, iot: 0, dynamodb: 0, events: 0 };
      await runAudit(first);
      const before = await eventually('a few rotations started', async () => {
        const meta = await campaignMeta(first);
        return Number(meta?.started ?? 0) >= 3 ? meta : undefined;
      });

      // Act: stop everything mid-campaign, then start again on the same state directory.
      await first.close();
      restarted = await LocalAws.start({ stateDir: scenario.env.dir, ports, functionSettings, settings });
      const local = restarted;
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
          return m?.status === 'STARTED_ALL' && Number(m.succeeded) === scenario?.devices.length
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
