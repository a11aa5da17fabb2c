import { type IoTClient, ListAuditFindingsCommand } from '@aws-sdk/client-iot';
import type { Clock } from '../../../lib/clock.ts';
import { EnqueueEvent, type EnqueueResult } from '../../../workflows/campaign/events.ts';
import type { CampaignSource, QueuedRotation } from '../../../workflows/campaign/types.ts';
import { awsCall } from '../../../workflows/rotate-device/aws-errors.ts';
import { InvalidStepInput } from '../../../workflows/rotate-device/errors.ts';
import type { CampaignMeta, CampaignStore, EnqueueCursor } from '../../shared/campaign-store.ts';
import type { Counter, Log } from '../../shared/observability.ts';
import { parseStepInput } from '../../shared/step-input.ts';

export interface EnqueueDeps {
  readonly store: CampaignStore;
  readonly iot: IoTClient;
  readonly clock: Clock;
  readonly log: Log;
  readonly counter: Counter;
  /** How long one invocation keeps paging before it returns `{ done: false }` (ms). */
  readonly budgetMs: number;
  /** Wall time (ms) left before Lambda stops the invocation: a page is begun only with enough left. */
  readonly remainingMs?: () => number;
}

/** Wall time one more page (a list call and its queue writes) may take. */
export const RESERVED_WALL_MS = 20_000;

const AUDIT_PAGE_SIZE = 250;
const CERTIFICATE_ID = /^[0-9a-f]{64}$/;

/**
 * Writes a campaign's rotations to its start queue. META is created on the first call; each page of
 * findings is written at the positions its cursor gives (queued count before the page + index), then
 * the cursor moves and the count grows in one conditional write, so a page replayed after a crash
 * rewrites the same items and counts them once.
 */
export async function enqueue(event: unknown, deps: EnqueueDeps): Promise<EnqueueResult> {
  const input = parseStepInput(EnqueueEvent, event, 'campaign-enqueue');
  const deadline = deps.clock.now() + deps.budgetMs;
  await deps.store.createMeta({
    campaignId: input.campaignId,
    source: storedSource(input.source),
    pacing: input.pacing,
    now: deps.clock.now(),
  });
  for (;;) {
    const meta = await deps.store.getMeta(input.campaignId);
    if (!meta) throw new InvalidStepInput(`campaign ${input.campaignId} has no META item after creating it`);
    if (meta.generation > input.generation) {
      deps.log.info('a newer execution of the campaign enqueues', { campaignId: input.campaignId });
      return { done: true };
    }
    if (meta.enqueueDone) return { done: true };
    const step =
      input.source.kind === 'manual'
        ? await enqueueManual(input.campaignId, input.source.rotations, meta, deps)
        : await enqueueAuditPage(input.campaignId, input.source, meta, deps);
    if (step === 'done') {
      await deps.store.finishEnqueue(input.campaignId, deps.clock.now());
      const final = await deps.store.getMeta(input.campaignId);
      deps.log.info('campaign enqueued', {
        campaignId: input.campaignId,
        queued: final?.queued ?? meta.queued,
      });
      return { done: true };
    }
    if (deps.clock.now() >= deadline) return { done: false };
    if ((deps.remainingMs?.() ?? Number.POSITIVE_INFINITY) < RESERVED_WALL_MS) return { done: false };
  }
}

/** What META keeps of the source: the audit task, or how many rotations an operator listed. */
function storedSource(source: CampaignSource): Record<string, unknown> {
  return source.kind === 'audit'
    ? { kind: 'audit', taskId: source.taskId, checkNames: source.checkNames }
    : { kind: 'manual', count: source.rotations.length };
}

const MANUAL_CHUNK = 100;

async function enqueueManual(
  campaignId: string,
  rotations: readonly { thingName: string; oldCertificateId: string }[],
  meta: CampaignMeta,
  deps: EnqueueDeps,
): Promise<'done' | 'more'> {
  // For a list the cursor is the queued count: the list's index is the position.
  const from = meta.queued;
  if (from >= rotations.length) return 'done';
  const chunk = rotations.slice(from, from + MANUAL_CHUNK);
  const entries: QueuedRotation[] = chunk.map((r, i) => ({ position: from + i, ...r }));
  await deps.store.writeEntries(campaignId, entries, deps.clock);
  const page = meta.enqueueCursor.page;
  await deps.store.advanceEnqueue({
    campaignId,
    from: meta.enqueueCursor,
    to: { checkIndex: 0, page: page + 1 },
    queued: entries.length,
    skipped: 0,
    now: deps.clock.now(),
  });
  return from + chunk.length >= rotations.length ? 'done' : 'more';
}

async function enqueueAuditPage(
  campaignId: string,
  source: Extract<CampaignSource, { kind: 'audit' }>,
  meta: CampaignMeta,
  deps: EnqueueDeps,
): Promise<'done' | 'more'> {
  const cursor = meta.enqueueCursor;
  const checkName = source.checkNames[cursor.checkIndex];
  if (checkName === undefined) return 'done';
  const page = await awsCall('ListAuditFindings', () =>
    deps.iot.send(
      new ListAuditFindingsCommand({
        taskId: source.taskId,
        checkName,
        maxResults: AUDIT_PAGE_SIZE,
        ...(cursor.nextToken ? { nextToken: cursor.nextToken } : {}),
      }),
    ),
  );
  const entries: QueuedRotation[] = [];
  let skipped = 0;
  for (const finding of page.findings ?? []) {
    if (finding.isSuppressed) continue;
    const certificateId = finding.nonCompliantResource?.resourceIdentifier?.deviceCertificateId;
    if (!certificateId || !CERTIFICATE_ID.test(certificateId)) {
      skipped++;
      deps.counter.count('FindingSkipped', { reason: 'no-certificate' });
      deps.log.warn('finding without a device certificate skipped', {
        campaignId,
        findingId: finding.findingId,
        checkName,
      });
      continue;
    }
    entries.push({
      position: meta.queued + entries.length,
      oldCertificateId: certificateId,
      ...(finding.findingId ? { findingId: finding.findingId } : {}),
    });
  }
  await deps.store.writeEntries(campaignId, entries, deps.clock);
  const nextToken = page.nextToken || undefined;
  const to: EnqueueCursor = nextToken
    ? { checkIndex: cursor.checkIndex, page: cursor.page + 1, nextToken }
    : { checkIndex: cursor.checkIndex + 1, page: cursor.page + 1 };
  const moved = await deps.store.advanceEnqueue({
    campaignId,
    from: cursor,
    to,
    queued: entries.length,
    skipped,
    now: deps.clock.now(),
  });
  if (!moved) {
    deps.log.info('another writer moved the enqueue cursor; reading it again', { campaignId });
    return 'more';
  }
  deps.counter.count('FindingsQueued');
  return to.checkIndex >= source.checkNames.length ? 'done' : 'more';
}
