/**
 * Paging over a sorted list with an opaque token (AWS's `nextToken` or `nextMarker`). The token names
 * the last key returned, so a page is stable when earlier items are deleted in between.
 */
import { z } from 'zod';
import { InvalidRequestException } from '../errors.ts';

const tokenSchema = z.object({ k: z.string(), i: z.number().int().nonnegative() });

export interface Page<T> {
  readonly items: T[];
  readonly next?: string;
}

export function paginate<T>(
  sorted: readonly T[],
  keyOf: (item: T) => string,
  token: string | undefined,
  limit: number,
): Page<T> {
  let start = 0;
  if (token !== undefined && token !== '') {
    let decoded: z.infer<typeof tokenSchema>;
    try {
      decoded = tokenSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    } catch (error) {
      throw new InvalidRequestException('the pagination token is not valid', { cause: error });
    }
    const at = sorted.findIndex((item) => keyOf(item) === decoded.k);
    start = at >= 0 ? at + 1 : Math.min(decoded.i, sorted.length);
  }
  const items = sorted.slice(start, start + limit);
  const last = items[items.length - 1];
  if (start + limit >= sorted.length || last === undefined) return { items };
  const next = Buffer.from(JSON.stringify({ k: keyOf(last), i: start + items.length })).toString('base64url');
  return { items, next };
}

/** Reads a page size from the query, within AWS's bounds for the API. */
export function pageSize(value: string | null, name: string, fallback: number, max = 250): number {
  if (value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new InvalidRequestException(`${name} must be an integer from 1 to ${max}, got '${value}'`);
  }
  return n;
}
