import { StatesError } from './errors.ts';
import { isObject, type Json, type JsonObject, jsonEquals } from './json.ts';
import { probePath, resolvePath, type Scope } from './payload.ts';

/** Choice rules of JSONPath states: the comparison operators, their Path forms and And/Or/Not. */

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
export const parseTimestamp = (v: Json): number | undefined =>
  typeof v === 'string' && TIMESTAMP.test(v) ? Date.parse(v) : undefined;

const OPERATORS = [
  'StringEquals',
  'StringLessThan',
  'StringGreaterThan',
  'StringLessThanEquals',
  'StringGreaterThanEquals',
  'StringMatches',
  'NumericEquals',
  'NumericLessThan',
  'NumericGreaterThan',
  'NumericLessThanEquals',
  'NumericGreaterThanEquals',
  'BooleanEquals',
  'TimestampEquals',
  'TimestampLessThan',
  'TimestampGreaterThan',
  'TimestampLessThanEquals',
  'TimestampGreaterThanEquals',
  'IsNull',
  'IsPresent',
  'IsNumeric',
  'IsString',
  'IsBoolean',
  'IsTimestamp',
] as const;

/** `*` matches any run of characters; `\*` is a literal star. */
export const wildcardMatch = (value: string, pattern: string): boolean => {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) {
      re += `\\${pattern[++i]}`;
    } else if (c === '*') re += '.*';
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's').test(value);
};

const cmp = (kind: 'String' | 'Numeric' | 'Timestamp', op: string, a: Json, b: Json): boolean => {
  let x: string | number | undefined;
  let y: string | number | undefined;
  if (kind === 'String') {
    if (typeof a !== 'string' || typeof b !== 'string') return false;
    x = a;
    y = b;
  } else if (kind === 'Numeric') {
    if (typeof a !== 'number' || typeof b !== 'number') return false;
    x = a;
    y = b;
  } else {
    x = parseTimestamp(a);
    y = parseTimestamp(b);
    if (x === undefined || y === undefined) return false;
  }
  switch (op) {
    case 'Equals':
      return x === y;
    case 'LessThan':
      return x < y;
    case 'GreaterThan':
      return x > y;
    case 'LessThanEquals':
      return x <= y;
    case 'GreaterThanEquals':
      return x >= y;
    default:
      return false;
  }
};

export const evaluateRule = (rule: JsonObject, input: Json, scope: Scope): boolean => {
  if (Array.isArray(rule.And)) return rule.And.every((r) => isObject(r) && evaluateRule(r, input, scope));
  if (Array.isArray(rule.Or)) return rule.Or.some((r) => isObject(r) && evaluateRule(r, input, scope));
  if (isObject(rule.Not)) return !evaluateRule(rule.Not, input, scope);
  const variable = rule.Variable;
  if (typeof variable !== 'string') throw new StatesError('States.Runtime', 'A Choice rule has no Variable');
  for (const op of OPERATORS) {
    const pathForm = `${op}Path`;
    const hasLiteral = Object.hasOwn(rule, op);
    const hasPath = Object.hasOwn(rule, pathForm);
    if (!hasLiteral && !hasPath) continue;
    if (op === 'IsPresent') return probePath(variable, input, scope).found === (rule.IsPresent === true);
    const value = resolvePath(variable, input, scope, `Choice rule Variable '${variable}'`);
    let operand: Json;
    if (hasPath) {
      const p = rule[pathForm];
      if (typeof p !== 'string') throw new StatesError('States.Runtime', `${pathForm} must be a path`);
      operand = resolvePath(p, input, scope, `Choice rule ${pathForm} '${p}'`);
    } else operand = rule[op] ?? null;
    switch (op) {
      case 'IsNull':
        return (value === null) === (operand === true);
      case 'IsNumeric':
        return (typeof value === 'number') === (operand === true);
      case 'IsString':
        return (typeof value === 'string') === (operand === true);
      case 'IsBoolean':
        return (typeof value === 'boolean') === (operand === true);
      case 'IsTimestamp':
        return (parseTimestamp(value) !== undefined) === (operand === true);
      case 'BooleanEquals':
        return typeof value === 'boolean' && typeof operand === 'boolean' && value === operand;
      case 'StringMatches':
        return typeof value === 'string' && typeof operand === 'string' && wildcardMatch(value, operand);
      case 'NumericEquals':
        return typeof value === 'number' && typeof operand === 'number' && jsonEquals(value, operand);
      default: {
        const m = /^(String|Numeric|Timestamp)(.+)$/.exec(op);
        const kind = m?.[1];
        if ((kind === 'String' || kind === 'Numeric' || kind === 'Timestamp') && m?.[2]) {
          return cmp(kind, m[2], value, operand);
        }
      }
    }
  }
  throw new StatesError('States.Runtime', `A Choice rule on '${variable}' has no comparison operator`);
};
