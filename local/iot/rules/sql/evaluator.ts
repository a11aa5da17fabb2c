import { isJsonScalar } from '../../../json-scalar.ts';
import type { Expression, SelectStatement } from './ast.ts';
import { SqlEvaluationError } from './errors.ts';
import { deepEqual, isObject, type SqlObject, type SqlValue, toBoolean, toNumber } from './values.ts';

/** The message a statement is evaluated against, with what the broker knows of its sender. */
export interface SqlMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly clientId?: string;
  readonly principal?: string;
  /** Epoch ms, what `timestamp()` returns. */
  readonly timestamp: number;
  readonly newUuid: () => string;
}

/** What the SELECT clause produced: a JSON object, or the payload itself for `SELECT *` of non-JSON. */
export type SqlResult =
  | { readonly kind: 'json'; readonly value: SqlObject }
  | { readonly kind: 'binary'; readonly payload: Buffer };

/** Converts parsed JSON into SQL values, checking each node instead of trusting its type. */
export function fromJson(value: unknown): SqlValue {
  if (isJsonScalar(value)) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => fromJson(item));
  if (typeof value === 'object') {
    const out: Record<string, SqlValue> = {};
    for (const [key, item] of Object.entries(value)) setOwn(out, key, fromJson(item));
    return out;
  }
  return undefined;
}

/**
 * Defines a field as the object's own, whatever its name: a payload may carry a key like `__proto__`,
 * which plain assignment would take as the object's prototype, dropping the field.
 */
function setOwn(target: Record<string, SqlValue>, key: string, value: SqlValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The payload as a SQL value: parsed JSON, or Undefined when it is not JSON (a binary payload). */
export function payloadValue(payload: Buffer): SqlValue {
  try {
    return fromJson(JSON.parse(payload.toString('utf8')));
  } catch {
    return undefined;
  }
}

/**
 * Evaluates a statement against one message. Returns undefined when the WHERE clause is not true;
 * throws `SqlEvaluationError` when the SELECT cannot be built (fields added to a binary payload).
 */
export function evaluateStatement(statement: SelectStatement, message: SqlMessage): SqlResult | undefined {
  const document = payloadValue(message.payload);
  const scope: Scope = { document, message };
  if (statement.where && toBoolean(evaluate(statement.where, scope)) !== true) return undefined;

  const [only] = statement.select;
  if (statement.select.length === 1 && only?.kind === 'star' && !isObject(document)) {
    return { kind: 'binary', payload: message.payload };
  }
  const output: Record<string, SqlValue> = {};
  for (const [position, item] of statement.select.entries()) {
    if (item.kind === 'star') {
      if (!isObject(document)) {
        throw new SqlEvaluationError(
          'SELECT * with other fields needs a JSON object payload; this payload is not one',
        );
      }
      for (const [key, field] of Object.entries(document)) setOwn(output, key, field);
      continue;
    }
    const value = evaluate(item.expression, scope);
    if (value === undefined) continue;
    setOwn(output, item.alias ?? defaultName(item.expression, position), value);
  }
  return { kind: 'json', value: output };
}

/** Evaluates one expression (for substitution templates) against a message. */
export function evaluateExpression(expression: Expression, message: SqlMessage): SqlValue {
  return evaluate(expression, { document: payloadValue(message.payload), message });
}

/** A field keeps its own name (`a.b` gives `b`); a function its name; anything else its position. */
function defaultName(expression: Expression, position: number): string {
  if (expression.kind === 'path') {
    for (let i = expression.segments.length - 1; i >= 0; i--) {
      const segment = expression.segments[i];
      if (segment && 'field' in segment) return segment.field;
    }
  }
  if (expression.kind === 'call') return expression.name;
  return `_${position + 1}`;
}

interface Scope {
  readonly document: SqlValue;
  readonly message: SqlMessage;
}

function evaluate(expression: Expression, scope: Scope): SqlValue {
  switch (expression.kind) {
    case 'literal':
      return expression.value;
    case 'path': {
      let value: SqlValue = scope.document;
      for (const segment of expression.segments) {
        if ('field' in segment) {
          value = isObject(value) && Object.hasOwn(value, segment.field) ? value[segment.field] : undefined;
        } else {
          value = Array.isArray(value) ? value[segment.index] : undefined;
        }
        if (value === undefined) return undefined;
      }
      return value;
    }
    case 'call':
      return callFunction(expression.name, expression.args, scope);
    case 'not': {
      const operand = toBoolean(evaluate(expression.operand, scope));
      return operand === undefined ? undefined : !operand;
    }
    case 'negate': {
      const operand = evaluate(expression.operand, scope);
      return typeof operand === 'number' ? -operand : undefined;
    }
    case 'in': {
      const operand = evaluate(expression.operand, scope);
      if (operand === undefined) return undefined;
      const found = expression.list.some((item) => equals(operand, evaluate(item, scope)) === true);
      return expression.negated ? !found : found;
    }
    case 'binary':
      return binary(expression.operator, expression.left, expression.right, scope);
  }
}

function binary(
  operator: Extract<Expression, { kind: 'binary' }>['operator'],
  leftExpression: Expression,
  rightExpression: Expression,
  scope: Scope,
): SqlValue {
  const left = evaluate(leftExpression, scope);
  const right = evaluate(rightExpression, scope);
  switch (operator) {
    case 'AND': {
      const a = toBoolean(left);
      const b = toBoolean(right);
      return a === undefined || b === undefined ? undefined : a && b;
    }
    case 'OR': {
      const a = toBoolean(left);
      const b = toBoolean(right);
      return a === undefined || b === undefined ? undefined : a || b;
    }
    case '=':
      return equals(left, right);
    case '<>': {
      const equal = equals(left, right);
      return equal === undefined ? undefined : !equal;
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return order(operator, left, right);
    default:
      return arithmetic(operator, left, right);
  }
}

/** Undefined on either side gives Undefined; numbers compare by value; other types must match exactly. */
function equals(left: SqlValue, right: SqlValue): boolean | undefined {
  if (left === undefined || right === undefined) return undefined;
  if (typeof left === 'number' || typeof right === 'number') {
    const a = toNumber(left);
    const b = toNumber(right);
    if (a !== undefined && b !== undefined && (typeof left !== 'string' || typeof right !== 'string')) {
      return a === b;
    }
  }
  return deepEqual(left, right);
}

/** Numbers (or strings holding numbers) compare numerically; two other strings lexically; else Undefined. */
function order(operator: '<' | '<=' | '>' | '>=', left: SqlValue, right: SqlValue): boolean | undefined {
  const a = toNumber(left);
  const b = toNumber(right);
  let cmp: number;
  if (a !== undefined && b !== undefined) {
    cmp = a - b;
  } else if (typeof left === 'string' && typeof right === 'string') {
    cmp = left < right ? -1 : left > right ? 1 : 0;
  } else {
    return undefined;
  }
  switch (operator) {
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
  }
}

function arithmetic(operator: '+' | '-' | '*' | '/' | '%', left: SqlValue, right: SqlValue): SqlValue {
  const a = toNumber(left);
  const b = toNumber(right);
  if (a === undefined || b === undefined) return undefined;
  switch (operator) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? undefined : a / b;
    case '%':
      return b === 0 ? undefined : a % b;
  }
}

function callFunction(
  name: Extract<Expression, { kind: 'call' }>['name'],
  args: readonly Expression[],
  scope: Scope,
): SqlValue {
  const { message } = scope;
  switch (name) {
    case 'clientid':
      // AWS answers n/a for messages that did not arrive over MQTT (HTTP publishes, rules' republish).
      return message.clientId ?? 'n/a';
    case 'principal':
      return message.principal;
    case 'timestamp':
      return message.timestamp;
    case 'newuuid':
      return message.newUuid();
    case 'topic': {
      const [levelExpression] = args;
      if (!levelExpression) return message.topic;
      const level = toNumber(evaluate(levelExpression, scope));
      if (level === undefined || !Number.isInteger(level) || level < 1) return undefined;
      return message.topic.split('/')[level - 1];
    }
  }
}
