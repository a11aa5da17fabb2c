import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXIT } from '../../cli/exit-codes.ts';
import { enableExpiringCheck, runExpiringAudit } from './helpers/expiring-check.ts';
import { useCliHarness } from './helpers/local-aws.ts';

const DAY = 86_400_000;

const h = useCliHarness();
beforeAll(async () => {
  await enableExpiringCheck(h(), 30);
});

async function audit(): Promise<string> {
  const taskId = await runExpiringAudit(h());
  // Start times a few milliseconds apart, so "latest" is never a tie.
  await new Promise((resolve) => setTimeout(resolve, 5));
  return taskId;
}

describe('recert report without --campaign', () => {
  it('reports the campaign of the audit started last, not the one whose id sorts last', async () => {
    // Prepare: audits until the newest one's task id is not the greatest (ids are random hex), so
    // a choice by id or by listing order cannot pass for a choice by start time. Each audit finds
    // one more expiring certificate than the one before.
    const ids: string[] = [];
    let newest = '';
    do {
      await h().provision(`latest-${ids.length}`, { validity: { durationMs: 5 * DAY } });
      newest = await audit();
      ids.push(newest);
    } while (ids.length < 2 || [...ids].sort().at(-1) === newest);
    // Act
    const result = await h().run(['report', '--json']);
    const text = await h().run(['report', '--output', 'text']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    const report = z
      .object({ campaign: z.string(), summary: z.object({ devicesFound: z.number() }) })
      .parse(JSON.parse(result.stdout));
    expect(report.campaign).toBe(`audit-${newest}`);
    expect(report.summary.devicesFound).toBe(ids.length);
    expect(text.stdout.split('\n')[0]?.split('\t').slice(0, 3)).toEqual([
      'SUMMARY',
      `audit-${newest}`,
      String(ids.length),
    ]);
  });
});
