/**
 * IoT SQL values: JSON values plus Undefined (a missing field, a failed conversion), which the
 * SELECT clause leaves out of its output and the WHERE clause treats as not true.
 */
export type SqlValue = null | boolean | number | string | readonly SqlValue[] | SqlObject | undefined;
export interface SqlObject {
  readonly [key: string]: SqlValue;
}

export function isObject(value: SqlValue): value is SqlObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strings "true"/"false" (any case) count as Booleans in AND, OR and NOT, as AWS documents. */
export function toBoolean(value: SqlValue): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

/** Numbers, and strings that hold a number, as a number; anything else is Undefined. */
export function toNumber(value: SqlValue): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

export function deepEqual(a: SqlValue, b: SqlValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((key) => key in b && deepEqual(a[key], b[key]))
    );
  }
  return false;
}
