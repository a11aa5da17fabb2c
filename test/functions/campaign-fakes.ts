import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PacerStore } from '../../functions/campaign-steps/campaign-pacer/campaign-pacer.ts';
import { CampaignMeta, CampaignStore } from '../../functions/shared/campaign-store.ts';
import type { ManualClock } from '../../lib/clock.ts';
import type { QueuedRotation } from '../../workflows/campaign/types.ts';
import { createCampaignTable, startDynalite } from './dynalite.ts';

/**
 * An in-memory campaign table for the pacer's tests, which run on a manual clock (real I/O would
 * let the clock jump between a start's slot and its call). Each method keeps the condition of the
 * DynamoDB write it stands for; `test/functions/campaign-store.test.ts` checks those on dynalite.
 */
export class MemoryCampaignStore implements PacerStore {
  meta: CampaignMeta | undefined;
  readonly entries: QueuedRotation[] = [];
  commits = 0;
  /** Throws from the next commitStarts, as a crash between the starts and the cursor move would. */
  crashNextCommit = false;

  constructor(campaignId: string, fields: Partial<CampaignMeta> = {}) {
    this.meta = CampaignMeta.parse({
      campaignId,
      status: 'RUNNING',
      source: { kind: 'audit', taskId: 't1', checkNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] },
      createdAt: '2026-01-01T00:00:00.000Z',
      enqueueCursor: { checkIndex: 1, page: 1 },
      enqueueDone: true,
      nextPosition: 0,
      ...fields,
    });
  }

  queueCertificates(certificateIds: readonly string[], thingName?: (i: number) => string): void {
    const start = this.entries.length;
    certificateIds.forEach((oldCertificateId, i) => {
      const thing = thingName?.(start + i);
      this.entries.push({ position: start + i, oldCertificateId, ...(thing ? { thingName: thing } : {}) });
    });
    if (this.meta) this.meta = { ...this.meta, queued: this.entries.length };
  }

  set(fields: Partial<CampaignMeta>): void {
    if (this.meta) this.meta = { ...this.meta, ...fields };
  }

  async getMeta(): Promise<CampaignMeta | undefined> {
    return this.meta ? { ...this.meta } : undefined;
  }

  async queue(_id: string, from: number, until: number, limit: number): Promise<QueuedRotation[]> {
    return this.entries.filter((e) => e.position >= from && e.position < until).slice(0, limit);
  }

  async commitStarts(input: Parameters<PacerStore['commitStarts']>[0]): Promise<boolean> {
    if (this.crashNextCommit) {
      this.crashNextCommit = false;
      throw Object.assign(new Error('the function was killed'), { name: 'Crash' });
    }
    if (!this.meta || this.meta.nextPosition !== input.from) return false;
    this.commits++;
    this.meta = {
      ...this.meta,
      nextPosition: input.to,
      started: this.meta.started + input.started,
      alreadyStarted: this.meta.alreadyStarted + input.alreadyStarted,
      skipped: this.meta.skipped + input.skipped,
    };
    return true;
  }

  async markStartedAll(): Promise<boolean> {
    if (this.meta?.status !== 'RUNNING') return false;
    this.meta = { ...this.meta, status: 'STARTED_ALL' };
    return true;
  }

  async stop(_id: string, reason: string, now: number): Promise<boolean> {
    if (!this.meta || this.meta.status === 'STOPPED') return false;
    this.meta = {
      ...this.meta,
      status: 'STOPPED',
      stopReason: reason,
      stoppedAt: new Date(now).toISOString(),
    };
    return true;
  }

  async handOver(_id: string, _from: number, to: number): Promise<boolean> {
    if (!this.meta || this.meta.generation >= to) return false;
    this.meta = { ...this.meta, generation: to };
    return true;
  }
}

/** Runs `work` to its end while moving the manual clock forward in small steps. */
export async function drive<T>(clock: ManualClock, work: Promise<T>, stepMs = 20): Promise<T> {
  let settled = false;
  work.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  while (!settled) {
    await clock.advance(stepMs);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return work;
}

export interface CampaignTableHarness {
  readonly db: DynamoDBClient;
  readonly tableName: string;
  readonly store: CampaignStore;
  close(): Promise<void>;
}

/** A real local DynamoDB (dynalite) with the campaign table created from the contract. */
export async function startCampaignTable(): Promise<CampaignTableHarness> {
  const server = await startDynalite();
  const db = new DynamoDBClient(server.config);
  const tableName = `campaigns-${randomUUID().slice(0, 8)}`;
  await createCampaignTable(db, tableName);
  return {
    db,
    tableName,
    store: new CampaignStore(db, tableName),
    async close() {
      db.destroy();
      await server.close();
    },
  };
}
