import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readStateFile, writeJsonFile } from './json-file.ts';

/** An asynchronous invocation Lambda accepted and had not finished when the local AWS stopped. */
export interface QueuedInvocation {
  readonly functionArn: string;
  readonly event: unknown;
  /** Attempts that failed before the stop; the retries left carry over. */
  readonly attempts: number;
}

const journalSchema = z.object({
  invocations: z.array(
    z.object({ functionArn: z.string(), event: z.unknown(), attempts: z.number().int().min(0) }),
  ),
});

/**
 * Lambda's queue of accepted asynchronous invocations, kept in `<stateDir>/events/` across a stop:
 * written at close, taken (read and removed) at start, so each is delivered again at least once.
 */
export class AsyncInvokeJournal {
  private constructor(private readonly path: string) {}

  static inStateDir(stateDir: string): AsyncInvokeJournal {
    return new AsyncInvokeJournal(join(stateDir, 'events', 'lambda-async-queue.json'));
  }

  async save(invocations: readonly QueuedInvocation[]): Promise<void> {
    if (invocations.length === 0) {
      await rm(this.path, { force: true });
      return;
    }
    await writeJsonFile(this.path, { invocations });
  }

  async take(): Promise<QueuedInvocation[]> {
    const stored = await readStateFile(this.path, journalSchema, 'Lambda asynchronous queue');
    await rm(this.path, { force: true });
    return (stored?.invocations ?? []).map((entry) => ({
      functionArn: entry.functionArn,
      event: entry.event,
      attempts: entry.attempts,
    }));
  }
}
