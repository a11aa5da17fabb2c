import type { IoTClient } from '@aws-sdk/client-iot';
import { type Clock, sleepUntil } from '../../../lib/clock.ts';
import { errorName } from '../../../workflows/rotate-device/aws-errors.ts';
import { TransientAwsError } from '../../../workflows/rotate-device/errors.ts';
import type { Counter, Log } from '../../shared/observability.ts';
import { deleteRetiredCertificate, type SweepOutcome } from './delete-retired.ts';
import { InvalidSweeperSettingError, RetiredCertificateNotDeleted } from './errors.ts';
import type { RetiredCertificates } from './retired-entries.ts';

export interface SweepDeps {
  readonly entries: RetiredCertificates;
  readonly iot: IoTClient;
  readonly clock: Clock;
  readonly log: Log;
  readonly counter: Counter;
  /** DeleteCertificate calls per second, at most (AWS's quota is 10; campaigns need the rest). */
  readonly deletesPerSecond: number;
  /** How long the run may take (ms of the clock), kept well inside the function's timeout. */
  readonly budgetMs: number;
  /** Entries read per Query page. */
  readonly pageSize?: number;
  /**
   * Real time the invocation has left (Lambda's `getRemainingTimeInMillis`): the run also stops when
   * that runs short, whatever its clock says, e.g. when the local Lambda service is stopping.
   */
  readonly timeLeftMs?: () => number;
}

export interface SweepReport {
  readonly deleted: number;
  readonly absent: number;
  readonly leftAlone: number;
  readonly deferred: number;
  readonly failed: number;
  readonly malformed: number;
  /** Why the run ended: nothing more was due, its time budget was spent, or AWS kept throttling. */
  readonly stoppedBy: 'done' | 'budget' | 'transient';
}

/**
 * The time a delete may still start and finish in the budget: one entry can take a describe, the
 * detaches and a second delete, each with the SDK's retries (see lib/aws/client-config.ts).
 */
export const ENTRY_ALLOWANCE_MS = 45_000;

export function checkSweepSettings(deletesPerSecond: number, budgetMs: number): void {
  if (!(Number.isFinite(deletesPerSecond) && deletesPerSecond > 0)) {
    throw new InvalidSweeperSettingError(
      `deletes per second must be a number above 0, got ${String(deletesPerSecond)}`,
    );
  }
  if (!(Number.isFinite(budgetMs) && budgetMs > 0)) {
    throw new InvalidSweeperSettingError(`the sweep budget must be above 0 ms, got ${String(budgetMs)}`);
  }
}

/**
 * One scheduled run: reads the entries whose grace period ended, oldest first, and deletes their
 * certificates at no more than `deletesPerSecond` (every DeleteCertificate, a retry included, waits
 * for its slot), removing each entry once its certificate is deleted, already gone, or back in use.
 * It stops before its budget runs out and leaves the rest to the next run; an entry that failed stays
 * and later entries go on, so one bad certificate never blocks the others.
 */
export async function sweepRetiredCertificates(deps: SweepDeps): Promise<SweepReport> {
  checkSweepSettings(deps.deletesPerSecond, deps.budgetMs);
  const { clock } = deps;
  const startedAt = clock.now();
  const deadline = startedAt + deps.budgetMs;
  // The last moment an entry may start; a short budget still gets one entry done.
  const lastStart = Math.max(startedAt, deadline - ENTRY_ALLOWANCE_MS);
  const spacingMs = 1000 / deps.deletesPerSecond;
  let nextSlot = startedAt;
  const beforeDelete = async (): Promise<void> => {
    const at = Math.max(nextSlot, clock.now());
    nextSlot = at + spacingMs;
    await sleepUntil(clock, at);
  };
  const tally = { deleted: 0, absent: 0, leftAlone: 0, deferred: 0, failed: 0, malformed: 0 };
  const report = (stoppedBy: SweepReport['stoppedBy']): SweepReport => {
    deps.log.info('retired certificates swept', { ...tally, stoppedBy });
    return { ...tally, stoppedBy };
  };
  const outOfTime = (): boolean => deps.timeLeftMs !== undefined && deps.timeLeftMs() < ENTRY_ALLOWANCE_MS;
  for await (const page of deps.entries.due(startedAt, deps.pageSize ?? 25)) {
    if (Math.max(nextSlot, clock.now()) > lastStart || outOfTime()) return report('budget');
    for (const entry of page.malformed) {
      tally.malformed++;
      deps.log.warn('retired certificate entry is malformed; skipped', { entry });
    }
    for (const entry of page.entries) {
      if (Math.max(nextSlot, clock.now()) > lastStart || outOfTime()) return report('budget');
      const fields = {
        certificateId: entry.certificateId,
        thingName: entry.thingName,
        rotationId: entry.rotationId,
        deleteAfter: entry.deleteAfter,
      };
      let outcome: SweepOutcome;
      try {
        outcome = await deleteRetiredCertificate({ iot: deps.iot, beforeDelete }, entry.certificateId);
      } catch (error) {
        if (error instanceof TransientAwsError) {
          // AWS is throttling or failing beyond the SDK's retries: stop hammering it, the next run resumes.
          deps.log.warn('retired certificate sweep stopped by a transient failure', {
            ...fields,
            error: error.message,
          });
          tally.failed++;
          return report('transient');
        }
        const failure = new RetiredCertificateNotDeleted(
          `retired certificate ${entry.certificateId} of ${entry.thingName} was not deleted: ${errorName(error)}`,
          { cause: error },
        );
        deps.log.error(failure.message, { ...fields, error: errorName(error) });
        deps.counter.count('RetiredCertificateSweepFailed');
        tally.failed++;
        continue;
      }
      switch (outcome.kind) {
        case 'deleted':
          tally.deleted++;
          deps.counter.count('RetiredCertificateDeleted');
          deps.log.info('retired certificate deleted after its grace period', fields);
          break;
        case 'absent':
          tally.absent++;
          deps.log.info('retired certificate was already gone', fields);
          break;
        case 'left-alone':
          tally.leftAlone++;
          deps.counter.count('RetiredCertificateReactivated');
          deps.log.warn('retired certificate is in use again (not INACTIVE); left alone', {
            ...fields,
            status: outcome.status,
          });
          break;
        case 'deferred':
          tally.deferred++;
          deps.log.info(
            'retired certificate still attached after a detach; the next run tries again',
            fields,
          );
          continue;
      }
      await deps.entries.remove(entry.entry);
    }
  }
  return report('done');
}
