import type { QueuedRotation } from '../../../workflows/campaign/types.ts';
import type { StartTally } from './start-rotation.ts';
import type { StartSlots } from './start-slots.ts';

export interface BatchOutcome {
  /** How many entries from the batch's start were handled (the cursor moves past them). */
  readonly done: number;
  readonly tally: StartTally;
  /** The first failure, which stopped the batch at that entry. */
  readonly error?: unknown;
}

/**
 * Starts a batch of queue entries in order, each in its own start slot, with at most `concurrency`
 * calls under way (one start takes tens of milliseconds, a rate may be a hundred per second). On a
 * failure no further entry is begun; the entries before the first failed one count as done, those
 * after it that finished anyway are started again later and then found already started.
 */
export async function startBatch(
  entries: readonly QueuedRotation[],
  slots: StartSlots,
  concurrency: number,
  start: (entry: QueuedRotation) => Promise<StartTally>,
): Promise<BatchOutcome> {
  const results: (StartTally | { error: unknown } | undefined)[] = entries.map(() => undefined);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < entries.length) {
      const index = next++;
      const entry = entries[index];
      if (!entry) return;
      await slots.take();
      if (failed) return;
      try {
        results[index] = await start(entry);
      } catch (error) {
        results[index] = { error };
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, entries.length)) }, worker));
  const tally: StartTally = { started: 0, alreadyStarted: 0, skipped: 0 };
  let done = 0;
  for (const result of results) {
    if (result === undefined) break;
    if ('error' in result) return { done, tally, error: result.error };
    tally.started += result.started;
    tally.alreadyStarted += result.alreadyStarted;
    tally.skipped += result.skipped;
    done++;
  }
  return { done, tally };
}
