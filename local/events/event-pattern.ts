/**
 * EventBridge event patterns, matched as AWS documents them; the matchers supported are listed in
 * local/events/README.md.
 */
import { namedError } from '../../lib/named-error.ts';

export class InvalidEventPatternError extends namedError('InvalidEventPatternError') {}

type Scalar = string | number | boolean | null;
type Matcher =
  | { readonly kind: 'equals'; readonly value: Scalar }
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'suffix'; readonly value: string }
  | { readonly kind: 'equals-ignore-case'; readonly value: string }
  | {
      readonly kind: 'anything-but';
      readonly values: readonly Scalar[];
      readonly prefix?: string;
      readonly suffix?: string;
    }
  | { readonly kind: 'numeric'; readonly conditions: readonly (readonly [string, number])[] }
  | { readonly kind: 'exists'; readonly value: boolean };

/** A checked pattern: nested fields, leaf matcher lists, and `$or` alternatives. */
export interface EventPattern {
  readonly fields: ReadonlyMap<string, FieldPattern>;
  readonly or: readonly EventPattern[];
}

type FieldPattern =
  | { readonly kind: 'leaf'; readonly matchers: readonly Matcher[] }
  | { readonly kind: 'nested'; readonly pattern: EventPattern };

const NUMERIC_OPERATORS = new Set(['<', '<=', '=', '>', '>=']);

/** Parses and checks a pattern given as JSON text (PutRule's `EventPattern`). */
export function parseEventPattern(text: string): EventPattern {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidEventPatternError(`Event pattern is not valid JSON: ${String(error)}`);
  }
  return compileObject(raw, '');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function compileObject(raw: unknown, path: string): EventPattern {
  if (!isPlainObject(raw))
    throw new InvalidEventPatternError(`${path || 'the pattern'} must be a JSON object`);
  const entries = Object.entries(raw);
  if (entries.length === 0)
    throw new InvalidEventPatternError(`${path || 'the pattern'}: empty objects are not allowed`);
  const fields = new Map<string, FieldPattern>();
  const or: EventPattern[] = [];
  for (const [key, value] of entries) {
    const at = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) {
        throw new InvalidEventPatternError(`${at} must be an array of at least two patterns`);
      }
      for (const [i, item] of value.entries()) or.push(compileObject(item, `${at}[${i}]`));
    } else if (Array.isArray(value)) {
      fields.set(key, {
        kind: 'leaf',
        matchers: value.map((item, i) => compileMatcher(item, `${at}[${i}]`)),
      });
    } else if (isPlainObject(value)) {
      fields.set(key, { kind: 'nested', pattern: compileObject(value, at) });
    } else {
      throw new InvalidEventPatternError(
        `${at}: match values must be in an array, e.g. [${JSON.stringify(value)}]`,
      );
    }
  }
  return { fields, or };
}

function compileMatcher(raw: unknown, at: string): Matcher {
  if (isScalar(raw)) return { kind: 'equals', value: raw };
  if (!isPlainObject(raw)) throw new InvalidEventPatternError(`${at}: a matcher is a value or an object`);
  const keys = Object.keys(raw);
  const [name] = keys;
  if (keys.length !== 1 || name === undefined) {
    throw new InvalidEventPatternError(`${at}: a matcher object has exactly one key`);
  }
  const value = raw[name];
  switch (name) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof value !== 'string') throw new InvalidEventPatternError(`${at}: ${name} takes a string`);
      return { kind: name, value };
    case 'exists':
      if (typeof value !== 'boolean') throw new InvalidEventPatternError(`${at}: exists takes true or false`);
      return { kind: 'exists', value };
    case 'anything-but': {
      if (isPlainObject(value)) {
        const { prefix, suffix } = value;
        if (typeof prefix === 'string' && Object.keys(value).length === 1)
          return { kind: 'anything-but', values: [], prefix };
        if (typeof suffix === 'string' && Object.keys(value).length === 1)
          return { kind: 'anything-but', values: [], suffix };
        throw new InvalidEventPatternError(`${at}: anything-but takes values, or {"prefix"} or {"suffix"}`);
      }
      const values = Array.isArray(value) ? value : [value];
      if (!values.every(isScalar))
        throw new InvalidEventPatternError(`${at}: anything-but takes strings or numbers`);
      return { kind: 'anything-but', values };
    }
    case 'numeric': {
      if (!Array.isArray(value) || value.length === 0 || value.length % 2 !== 0 || value.length > 4) {
        throw new InvalidEventPatternError(`${at}: numeric takes one or two [operator, number] pairs`);
      }
      const conditions: (readonly [string, number])[] = [];
      for (let i = 0; i < value.length; i += 2) {
        const operator = value[i];
        const operand = value[i + 1];
        if (typeof operator !== 'string' || !NUMERIC_OPERATORS.has(operator) || typeof operand !== 'number') {
          throw new InvalidEventPatternError(
            `${at}: numeric needs an operator (<, <=, =, >, >=) then a number`,
          );
        }
        conditions.push([operator, operand]);
      }
      return { kind: 'numeric', conditions };
    }
    default:
      throw new InvalidEventPatternError(`${at}: unknown matcher '${name}'`);
  }
}

/** True when `event` (a parsed JSON event) matches the pattern. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isPlainObject(event)) return false;
  for (const [key, expected] of pattern.fields) {
    const actual = Object.hasOwn(event, key) ? event[key] : undefined;
    if (expected.kind === 'leaf') {
      if (!matchesLeaf(expected.matchers, actual)) return false;
    } else if (!isPlainObject(actual) || !matchesPattern(expected.pattern, actual)) {
      return false;
    }
  }
  return pattern.or.length === 0 || pattern.or.some((alternative) => matchesPattern(alternative, event));
}

function matchesLeaf(matchers: readonly Matcher[], actual: unknown): boolean {
  const values: unknown[] = actual === undefined ? [] : Array.isArray(actual) ? actual : [actual];
  return matchers.some((matcher) => {
    if (matcher.kind === 'exists') return matcher.value === (actual !== undefined);
    return values.some((value) => matchesValue(matcher, value));
  });
}

function matchesValue(matcher: Exclude<Matcher, { kind: 'exists' }>, value: unknown): boolean {
  switch (matcher.kind) {
    case 'equals':
      return value === matcher.value;
    case 'prefix':
      return typeof value === 'string' && value.startsWith(matcher.value);
    case 'suffix':
      return typeof value === 'string' && value.endsWith(matcher.value);
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === matcher.value.toLowerCase();
    case 'anything-but':
      if (!isScalar(value)) return false;
      if (matcher.prefix !== undefined) return typeof value === 'string' && !value.startsWith(matcher.prefix);
      if (matcher.suffix !== undefined) return typeof value === 'string' && !value.endsWith(matcher.suffix);
      return !matcher.values.includes(value);
    case 'numeric':
      return (
        typeof value === 'number' &&
        matcher.conditions.every(([operator, operand]) => compare(value, operator, operand))
      );
  }
}

function compare(value: number, operator: string, operand: number): boolean {
  switch (operator) {
    case '<':
      return value < operand;
    case '<=':
      return value <= operand;
    case '=':
      return value === operand;
    case '>':
      return value > operand;
    default:
      return value >= operand;
  }
}
