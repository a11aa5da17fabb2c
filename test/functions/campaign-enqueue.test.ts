import { IoTClient, ListAuditFindingsCommand } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type EnqueueDeps,
  enqueue,
} from '../../functions/campaign-steps/campaign-enqueue/campaign-enqueue.ts';
import { CampaignStore } from '../../functions/shared/campaign-store.ts';
import { fromAttributeMap, queryDocuments } from '../../functions/shared/document-commands.ts';
import { ManualClock } from '../../lib/clock.ts';
import type { EnqueueEvent } from '../../workflows/campaign/events.ts';
import { type CampaignTableHarness, startCampaignTable } from './campaign-fakes.ts';
import { recorders } from './harness.ts';

const iot = new IoTClient({ region: 'us-east-1' });
const iotMock = mockClient(iot);
const EXPIRING = 'DEVICE_CERTIFICATE_EXPIRING_CHECK';
const AGE = 'DEVICE_CERTIFICATE_AGE_CHECK';
const cert = (i: number): string => i.toString(16).padStart(64, '0');
const finding = (id: string, checkName: string, certificateId: string | undefined, isSuppressed = false) => ({
  findingId: id,
  checkName,
  isSuppressed,
  nonCompliantResource: {
    resourceType: 'DEVICE_CERTIFICATE' as const,
    resourceIdentifier: certificateId ? { deviceCertificateId: certificateId } : {},
  },
});
const PACING = {
  startsPerSecond: 5,
  maxInFlight: 10,
  failureRateThreshold: 0.1,
  minFinishedForFailureRate: 20,
};

let table: CampaignTableHarness;
let campaign = 0;
let campaignId: string;

beforeAll(async () => {
  table = await startCampaignTable();
});
afterAll(async () => {
  await table.close();
});
beforeEach(() => {
  iotMock.reset();
  campaign++;
  campaignId = `audit-c${campaign}`;
  // Expiring check: two pages (one suppressed, one without a certificate); age check: one page that
  // names certificate 1 again.
  iotMock.on(ListAuditFindingsCommand, { checkName: EXPIRING }).resolves({
    findings: [
      finding('f1', EXPIRING, cert(1)),
      finding('f2', EXPIRING, undefined),
      finding('f3', EXPIRING, cert(3), true),
    ],
    nextToken: 'p2',
  });
  iotMock
    .on(ListAuditFindingsCommand, { checkName: EXPIRING, nextToken: 'p2' })
    .resolves({ findings: [finding('f4', EXPIRING, cert(4)), finding('f5', EXPIRING, cert(5))] });
  iotMock
    .on(ListAuditFindingsCommand, { checkName: AGE })
    .resolves({ findings: [finding('f6', AGE, cert(1))] });
});

const auditEvent = (): EnqueueEvent => ({
  campaignId,
  source: { kind: 'audit', taskId: 'task-1', checkNames: [EXPIRING, AGE] },
  pacing: PACING,
  generation: 0,
});

function deps(budgetMs: number): EnqueueDeps {
  const { log, counter } = recorders();
  return { store: table.store, iot, clock: new ManualClock(), log, counter, budgetMs };
}

async function queueOf(id: string): Promise<Record<string, unknown>[]> {
  const out = await table.db.send(
    queryDocuments({
      TableName: table.tableName,
      KeyConditionExpression: 'campaignId = :id AND begins_with(#entry, :q)',
      ExpressionAttributeNames: { '#entry': 'entry' },
      ExpressionAttributeValues: { ':id': id, ':q': 'Q#' },
    }),
  );
  return (out.Items ?? []).map(fromAttributeMap);
}

describe('campaign enqueue', () => {
  it('queues every unsuppressed finding with a certificate, in order, across pages and checks', async () => {
    // Act
    const result = await enqueue(auditEvent(), deps(60_000));
    // Assess
    expect(result).toEqual({ done: true });
    const queue = await queueOf(campaignId);
    expect(queue.map((q) => [q.entry, q.oldCertificateId, q.findingId])).toEqual([
      ['Q#000000000000', cert(1), 'f1'],
      ['Q#000000000001', cert(4), 'f4'],
      ['Q#000000000002', cert(5), 'f5'],
      // The age check names certificate 1 again: queued twice, its second start finds it started.
      ['Q#000000000003', cert(1), 'f6'],
    ]);
    const meta = await table.store.getMeta(campaignId);
    expect(meta).toMatchObject({
      status: 'RUNNING',
      enqueueDone: true,
      queued: 4,
      skipped: 1,
      nextPosition: 0,
    });
  });

  it('resumes from the cursor in META: one page per call when its budget is spent', async () => {
    // Act
    const calls: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const { done } = await enqueue(auditEvent(), deps(0));
      calls.push(done);
      if (done) break;
    }
    // Assess: three pages, three calls; each page listed once
    expect(calls).toEqual([false, false, true]);
    expect(iotMock.commandCalls(ListAuditFindingsCommand)).toHaveLength(3);
    expect((await queueOf(campaignId)).map((q) => q.oldCertificateId)).toEqual([
      cert(1),
      cert(4),
      cert(5),
      cert(1),
    ]);
  });

  it("stops after a page when the invocation's wall time runs short, whatever budget its clock gives", async () => {
    // Act: an hour of budget on the clock, but 10 s left before Lambda's timeout.
    const first = await enqueue(auditEvent(), { ...deps(3_600_000), remainingMs: () => 10_000 });

    // Assess: one page listed and queued, the rest left for the next call.
    expect(first).toEqual({ done: false });
    expect(iotMock.commandCalls(ListAuditFindingsCommand)).toHaveLength(1);
    expect((await queueOf(campaignId)).length).toBeGreaterThan(0);
  });

  it('a repeated call after the campaign is queued lists nothing and changes nothing', async () => {
    // Prepare
    await enqueue(auditEvent(), deps(60_000));
    iotMock.resetHistory();
    // Act
    const again = await enqueue(auditEvent(), deps(60_000));
    // Assess
    expect(again).toEqual({ done: true });
    expect(iotMock.commandCalls(ListAuditFindingsCommand)).toHaveLength(0);
    expect((await table.store.getMeta(campaignId))?.queued).toBe(4);
  });

  it('a page replayed after a crash before its cursor moved rewrites the same entries and counts them once', async () => {
    // Prepare: the first call writes page 1 and crashes before moving the cursor
    class CrashingStore extends CampaignStore {
      override async advanceEnqueue(): Promise<boolean> {
        throw Object.assign(new Error('killed'), { name: 'Crash' });
      }
    }
    const crashing: EnqueueDeps = { ...deps(60_000), store: new CrashingStore(table.db, table.tableName) };
    await expect(enqueue(auditEvent(), crashing)).rejects.toThrow('killed');
    // Act
    await enqueue(auditEvent(), deps(60_000));
    // Assess
    const queue = await queueOf(campaignId);
    expect(queue).toHaveLength(4);
    expect((await table.store.getMeta(campaignId))?.queued).toBe(4);
  });

  it("queues an operator's list with its things", async () => {
    // Prepare
    const rotations = Array.from({ length: 130 }, (_, i) => ({
      thingName: `thing-${i}`,
      oldCertificateId: cert(i + 1),
    }));
    // Act
    const result = await enqueue(
      { campaignId, source: { kind: 'manual', rotations }, pacing: PACING, generation: 0 },
      deps(60_000),
    );
    // Assess
    expect(result.done).toBe(true);
    const queue = await queueOf(campaignId);
    expect(queue).toHaveLength(130);
    expect(queue[129]).toMatchObject({
      entry: 'Q#000000000129',
      thingName: 'thing-129',
      oldCertificateId: cert(130),
    });
    expect(await table.store.getMeta(campaignId)).toMatchObject({
      queued: 130,
      status: 'RUNNING',
      source: { kind: 'manual', count: 130 },
    });
  });

  it('stops enqueueing once a newer execution of the campaign took over', async () => {
    // Prepare
    await enqueue(auditEvent(), deps(0));
    await table.store.handOver(campaignId, 0, 1, Date.now());
    // Act
    const old = await enqueue(auditEvent(), deps(60_000));
    // Assess
    expect(old).toEqual({ done: true });
    expect((await table.store.getMeta(campaignId))?.enqueueDone).toBe(false);
  });

  it('rejects an event without a source, naming it', async () => {
    await expect(enqueue({ campaignId, pacing: PACING }, deps(0))).rejects.toMatchObject({
      name: 'InvalidStepInput',
      message: expect.stringContaining('source'),
    });
  });
});
