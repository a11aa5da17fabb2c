/**
 * IAM condition blocks as AWS's condition pages describe: operators and keys AND, a key's values OR; an
 * absent key fails a positive operator and passes a negated one, except with `IfExists` and `Null`.
 */

import { tokensMatch } from '../glob.ts';
import type { VariableLookup } from './pattern.ts';
import { arnTokensMatch, parseTemplate, resolveTemplate, tokensText } from './pattern.ts';
import type { ConditionBlock } from './types.ts';

/** Looks a context key up case-insensitively: undefined when absent, an array when multivalued. */
export type ContextLookup = (key: string) => string | readonly string[] | undefined;

type Comparison = 'string' | 'stringIgnoreCase' | 'stringLike' | 'arn' | 'bool' | 'numeric' | 'null';
type NumericTest = 'eq' | 'lt' | 'le' | 'gt' | 'ge';

interface BaseOperator {
  readonly comparison: Comparison;
  /** The negated operators (…Not…): true when no policy value matches. */
  readonly negated: boolean;
  readonly numeric?: NumericTest;
}

const BASE_OPERATORS: Readonly<Record<string, BaseOperator>> = {
  StringEquals: { comparison: 'string', negated: false },
  StringNotEquals: { comparison: 'string', negated: true },
  StringEqualsIgnoreCase: { comparison: 'stringIgnoreCase', negated: false },
  StringNotEqualsIgnoreCase: { comparison: 'stringIgnoreCase', negated: true },
  StringLike: { comparison: 'stringLike', negated: false },
  StringNotLike: { comparison: 'stringLike', negated: true },
  // AWS documents ArnEquals and ArnLike as the same test: per-component, with wildcards.
  ArnEquals: { comparison: 'arn', negated: false },
  ArnLike: { comparison: 'arn', negated: false },
  ArnNotEquals: { comparison: 'arn', negated: true },
  ArnNotLike: { comparison: 'arn', negated: true },
  Bool: { comparison: 'bool', negated: false },
  Null: { comparison: 'null', negated: false },
  NumericEquals: { comparison: 'numeric', negated: false, numeric: 'eq' },
  NumericNotEquals: { comparison: 'numeric', negated: true, numeric: 'eq' },
  NumericLessThan: { comparison: 'numeric', negated: false, numeric: 'lt' },
  NumericLessThanEquals: { comparison: 'numeric', negated: false, numeric: 'le' },
  NumericGreaterThan: { comparison: 'numeric', negated: false, numeric: 'gt' },
  NumericGreaterThanEquals: { comparison: 'numeric', negated: false, numeric: 'ge' },
};

interface Operator extends BaseOperator {
  readonly set: 'all' | 'any' | undefined;
  readonly ifExists: boolean;
}

/**
 * Reads an operator name (case-sensitive, as AWS spells them). Undefined for an operator this model does
 * not know (Date*, IpAddress, Binary*, a misspelling) or `NullIfExists`, which AWS rejects.
 */
export function parseOperator(name: string): Operator | undefined {
  let rest = name;
  let set: Operator['set'];
  if (rest.startsWith('ForAllValues:')) set = 'all';
  else if (rest.startsWith('ForAnyValue:')) set = 'any';
  if (set !== undefined) rest = rest.slice(rest.indexOf(':') + 1);
  const ifExists = rest.endsWith('IfExists');
  if (ifExists) rest = rest.slice(0, -'IfExists'.length);
  const base = Object.hasOwn(BASE_OPERATORS, rest) ? BASE_OPERATORS[rest] : undefined;
  if (base === undefined || (ifExists && base.comparison === 'null')) return undefined;
  return { ...base, set, ifExists };
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function toNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return NUMBER.test(trimmed) ? Number(trimmed) : undefined;
}

/** Whether one request value matches one policy value under the operator's (positive) comparison. */
function matchesOne(
  op: BaseOperator,
  requestValue: string,
  policyValue: string,
  lookup: VariableLookup,
): boolean {
  switch (op.comparison) {
    case 'string':
    case 'stringIgnoreCase':
    case 'stringLike':
    case 'arn': {
      const wildcards = op.comparison === 'stringLike' || op.comparison === 'arn';
      const tokens = resolveTemplate(parseTemplate(policyValue, wildcards), lookup);
      if (tokens === undefined) return false;
      if (op.comparison === 'string') return tokensText(tokens) === requestValue;
      if (op.comparison === 'stringIgnoreCase')
        return tokensText(tokens).toLowerCase() === requestValue.toLowerCase();
      if (op.comparison === 'stringLike') return tokensMatch(tokens, requestValue);
      return arnTokensMatch(tokens, requestValue);
    }
    case 'bool': {
      const tokens = resolveTemplate(parseTemplate(policyValue, false), lookup);
      const expected = tokens === undefined ? undefined : tokensText(tokens).toLowerCase();
      if (expected !== 'true' && expected !== 'false') return false;
      return requestValue.toLowerCase() === expected;
    }
    case 'numeric': {
      const a = toNumber(requestValue);
      const b = toNumber(policyValue);
      if (a === undefined || b === undefined) return false;
      if (op.numeric === 'lt') return a < b;
      if (op.numeric === 'le') return a <= b;
      if (op.numeric === 'gt') return a > b;
      if (op.numeric === 'ge') return a >= b;
      return a === b;
    }
    case 'null':
      return false;
  }
}

/** One request value against all the key's policy values: any matches (negated: none matches). */
function valueTest(
  op: Operator,
  requestValue: string,
  policyValues: readonly string[],
  lookup: VariableLookup,
) {
  const any = policyValues.some((policyValue) => matchesOne(op, requestValue, policyValue, lookup));
  return op.negated ? !any : any;
}

/** One key of one operator. */
function keyHolds(
  op: Operator,
  present: readonly string[] | undefined,
  policyValues: readonly string[],
  lookup: VariableLookup,
) {
  if (op.comparison === 'null') {
    // Null: "true" asks that the key be absent (an empty set counts as absent), "false" that it be present.
    const absent = present === undefined || present.length === 0;
    return policyValues.some((v) =>
      v.toLowerCase() === 'true' ? absent : v.toLowerCase() === 'false' && !absent,
    );
  }
  if (present === undefined || present.length === 0) {
    if (op.set === 'all') return true;
    if (op.set === 'any') return false;
    return op.ifExists || op.negated;
  }
  if (op.set === 'all') return present.every((v) => valueTest(op, v, policyValues, lookup));
  if (op.set === 'any') return present.some((v) => valueTest(op, v, policyValues, lookup));
  // No set operator but a multivalued key: a positive operator holds when some value matches, a negated
  // one when no value matches (AWS asks for a set operator here; this is the lenient reading).
  if (present.length === 1) return valueTest(op, present[0] as string, policyValues, lookup);
  return op.negated
    ? present.every((v) => valueTest(op, v, policyValues, lookup))
    : present.some((v) => valueTest(op, v, policyValues, lookup));
}

function asStrings(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v) => ['string', 'number', 'boolean'].includes(typeof v)).map((v) => String(v));
}

/**
 * Whether a condition block holds. Undefined when the block names an operator this model does not know:
 * the caller then treats the statement as not applying (never throws on a malformed block).
 */
export function conditionHolds(block: ConditionBlock, context: ContextLookup): boolean | undefined {
  const lookup: VariableLookup = (key) => {
    const value = context(key);
    return typeof value === 'string' ? value : undefined;
  };
  let holds = true;
  for (const [name, keys] of Object.entries(block)) {
    const op = parseOperator(name);
    if (op === undefined || keys === null || typeof keys !== 'object') return undefined;
    if (!holds) continue;
    for (const [key, values] of Object.entries(keys)) {
      const found = context(key);
      const present = found === undefined ? undefined : typeof found === 'string' ? [found] : found;
      if (!keyHolds(op, present, asStrings(values), lookup)) {
        holds = false;
        break;
      }
    }
  }
  return holds;
}
