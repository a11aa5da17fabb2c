import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { OperationFailedError } from '../errors.ts';
import type { Target } from '../target/target.ts';

/** BatchGetItem takes at most 100 keys a call. */
export const BATCH_GET_MAX_KEYS = 100;

export interface BatchGetOptions {
  /** Calls for one chunk of keys before giving up on what DynamoDB left unprocessed (default 8). */
  readonly maxAttempts?: number;
  /** The backoff's base and cap in ms: attempt n waits a random time below min(cap, base x 2^n). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** For tests: [0, 1), Math.random by default. */
  readonly random?: () => number;
}

/**
 * The rotation records of these things, read strongly consistent with BatchGetItem, 100 keys a call.
 * Keys DynamoDB leaves unprocessed (throttled, or the 16 MB answer limit) are asked again after a
 * backoff with full jitter, so many CLI readers do not retry in step. A thing without a record is
 * absent from the map; items are returned as stored, for the caller to validate.
 */
export async function batchGetRecords(
  target: Target,
  thingNames: readonly string[],
  options: BatchGetOptions = {},
): Promise<Map<string, Record<string, unknown>>> {
  const table = target.resources.rotationTableName;
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseDelayMs ?? 50;
  const cap = options.maxDelayMs ?? 5_000;
  const random = options.random ?? Math.random;
  const found = new Map<string, Record<string, unknown>>();
  const unique = [...new Set(thingNames)];
  for (let i = 0; i < unique.length; i += BATCH_GET_MAX_KEYS) {
    let keys: Record<string, unknown>[] = unique
      .slice(i, i + BATCH_GET_MAX_KEYS)
      .map((thingName) => ({ thingName }));
    for (let attempt = 0; keys.length > 0; attempt += 1) {
      if (attempt >= maxAttempts) {
        throw new OperationFailedError(
          `DynamoDB left ${keys.length} rotation records of table ${table} unread after ${maxAttempts} ` +
            'BatchGetItem calls (throttled)',
          { hint: 'try again in a moment' },
        );
      }
      if (attempt > 0) {
        const delay = random() * Math.min(cap, base * 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      const out = await target.db.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[table] ?? []) {
        if (typeof item.thingName === 'string') found.set(item.thingName, item);
      }
      keys = out.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return found;
}
