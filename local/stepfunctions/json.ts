/** JSON values as the engine moves them between states, and small helpers to inspect them safely. */
import { isJsonScalar, type JsonScalar } from '../json-scalar.ts';

export type Json = JsonScalar | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Converts any value a handler or SDK returned into plain JSON (dates become strings, undefined is dropped). */
export const toJson = (value: unknown): Json => {
  if (value === undefined) return null;
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
  return text === undefined ? null : parseJson(text);
};

export const parseJson = (text: string): Json => {
  const value: unknown = JSON.parse(text);
  return asJson(value);
};

/** JSON.parse only ever yields JSON; this narrows its type without a cast. */
const asJson = (value: unknown): Json => {
  if (isJsonScalar(value)) return value;
  if (Array.isArray(value)) return value.map(asJson);
  if (typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = asJson(v);
    return out;
  }
  return null;
};

export const clone = <T extends Json>(value: T): T => structuredClone(value);

/** AWS's own JSON rendering of payloads: compact, no whitespace. */
export const stringify = (value: Json): string => JSON.stringify(value);

export const jsonEquals = (a: Json, b: Json): boolean => {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null) return false;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEquals(v, b[i] ?? null));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEquals(a[k] ?? null, b[k] ?? null))
    );
  }
  return false;
};
