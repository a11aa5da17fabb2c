import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../lib/clock.ts';
import { type CampaignTableHarness, startCampaignTable } from './campaign-fakes.ts';

const PACING = {
  startsPerSecond: 5,
  maxInFlight: 10,
  failureRateThreshold: 0.1,
  minFinishedForFailureRate: 20,
};
const cert = (i: number): string => i.toString(16).padStart(64, '0');
const NOW = Date.UTC(2026, 0, 1);

let table: CampaignTableHarness;
beforeAll(async () => {
  table = await startCampaignTable();
});
afterAll(async () => {
  await table.close();
});

async function created(campaignId: string): Promise<void> {
  await table.store.createMeta({
    campaignId,
    source: { kind: 'manual', count: 3 },
    pacing: PACING,
    now: NOW,
  });
}

describe('campaign store on DynamoDB', () => {
  it('creates META once: a second create changes nothing', async () => {
    // Prepare
    await created('s1');
    await table.store.commitStarts({
      campaignId: 's1',
      from: 0,
      to: 2,
      started: 2,
      alreadyStarted: 0,
      skipped: 0,
      now: NOW,
    });
    // Act
    const again = await table.store.createMeta({
      campaignId: 's1',
      source: { kind: 'manual' },
      pacing: PACING,
      now: NOW,
    });
    // Assess
    expect(again).toBe(false);
    expect(await table.store.getMeta('s1')).toMatchObject({
      status: 'ENQUEUEING',
      nextPosition: 2,
      started: 2,
    });
  });

  it('moves the start cursor only from where it was: a replayed batch counts nothing', async () => {
    // Prepare
    await created('s2');
    const batch = { campaignId: 's2', from: 0, to: 3, started: 3, alreadyStarted: 0, skipped: 0, now: NOW };
    // Act
    const first = await table.store.commitStarts(batch);
    const replay = await table.store.commitStarts(batch);
    // Assess
    expect([first, replay]).toEqual([true, false]);
    expect(await table.store.getMeta('s2')).toMatchObject({ nextPosition: 3, started: 3 });
  });

  it('moves the enqueue cursor only from the page it was on', async () => {
    // Prepare
    await created('s3');
    const from = { checkIndex: 0, page: 0 };
    const to = { checkIndex: 0, page: 1, nextToken: 'p2' };
    const page = { campaignId: 's3', from, to, queued: 5, skipped: 1, now: NOW };
    // Act
    const first = await table.store.advanceEnqueue(page);
    const replay = await table.store.advanceEnqueue(page);
    // Assess
    expect([first, replay]).toEqual([true, false]);
    expect(await table.store.getMeta('s3')).toMatchObject({ queued: 5, skipped: 1, enqueueCursor: to });
  });

  it('reads the queue between two positions in order, beyond one BatchWriteItem', async () => {
    // Prepare
    const entries = Array.from({ length: 60 }, (_, i) => ({ position: i, oldCertificateId: cert(i + 1) }));
    await table.store.writeEntries('s4', entries, new ManualClock());
    // Act
    const slice = await table.store.queue('s4', 20, 50, 100);
    const limited = await table.store.queue('s4', 55, 60, 3);
    // Assess
    expect(slice.map((e) => e.position)).toEqual(Array.from({ length: 30 }, (_, i) => i + 20));
    expect(limited.map((e) => e.position)).toEqual([55, 56, 57]);
  });

  it('stops once with the reason; a stopped campaign is not marked started-all; resume sets the baseline', async () => {
    // Prepare
    await created('s5');
    await table.store.finishEnqueue('s5', NOW);
    // Act
    const stopped = await table.store.stop('s5', 'too many failures', NOW);
    const stoppedAgain = await table.store.stop('s5', 'another reason', NOW);
    const all = await table.store.markStartedAll('s5', NOW);
    const stoppedMeta = await table.store.getMeta('s5');
    const resumed = await table.store.resume('s5', NOW + 1000);
    // Assess
    expect([stopped, stoppedAgain, all]).toEqual([true, false, false]);
    expect(stoppedMeta).toMatchObject({ status: 'STOPPED', stopReason: 'too many failures' });
    expect(resumed).toBe(true);
    expect(await table.store.getMeta('s5')).toMatchObject({
      status: 'RUNNING',
      resumedAt: new Date(NOW + 1000).toISOString(),
    });
  });

  it('records a hand-over forward only', async () => {
    // Prepare
    await created('s6');
    // Act
    const forward = await table.store.handOver('s6', 0, 1, NOW);
    const back = await table.store.handOver('s6', 0, 1, NOW);
    // Assess
    expect([forward, back]).toEqual([true, false]);
    expect((await table.store.getMeta('s6'))?.generation).toBe(1);
  });
});
