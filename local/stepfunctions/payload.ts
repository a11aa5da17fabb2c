import { createHash, randomUUID } from 'node:crypto';
import jsonata from 'jsonata';
import { StatesError } from './errors.ts';
import { evaluateCall, isIntrinsic, parseIntrinsic } from './intrinsics.ts';
import { isObject, type Json, type JsonObject, parseJson, toJson } from './json.ts';
import { queryPath, selectPath } from './jsonpath.ts';

/**
 * Data processing for both query languages: JSONPath payload templates (`key.$` fields, paths,
 * variables, intrinsics) and JSONata `{% %}` fields with `$states` and the workflow variables.
 */

export type Variables = Readonly<Record<string, Json>>;

/** What a state sees while it computes a field. */
export interface Scope {
  readonly context: Json;
  readonly variables: Variables;
}

const VARIABLE = /^\$([A-Za-z_][A-Za-z0-9_]*)(.*)$/s;

/** Resolves `$.x`, `$$.x` or `$variable.x` (JSONPath states), failing with States.Runtime when absent. */
export const resolvePath = (path: string, data: Json, scope: Scope, where: string): Json => {
  const v = VARIABLE.exec(path);
  if (v?.[1] !== undefined) {
    const name = v[1];
    if (!Object.hasOwn(scope.variables, name)) {
      throw new StatesError('States.Runtime', `${where}: the variable '$${name}' is not defined`);
    }
    const value = scope.variables[name] ?? null;
    const rest = v[2] ?? '';
    return rest === '' ? value : selectPath(`$${rest}`, value, scope.context, where);
  }
  return selectPath(path, data, scope.context, where);
};

/** Like resolvePath, but reports absence instead of failing (Choice's IsPresent). */
export const probePath = (path: string, data: Json, scope: Scope): { found: boolean; value: Json } => {
  const v = VARIABLE.exec(path);
  if (v?.[1] !== undefined) {
    if (!Object.hasOwn(scope.variables, v[1])) return { found: false, value: null };
    const value = scope.variables[v[1]] ?? null;
    if (!v[2]) return { found: true, value };
    const r = queryPath(`$${v[2]}`, value, scope.context);
    return r.found ? { found: true, value: r.value } : { found: false, value: null };
  }
  const r = queryPath(path, data, scope.context);
  return r.found ? { found: true, value: r.value } : { found: false, value: null };
};

/** A JSONPath payload template (Parameters, ResultSelector, ItemSelector, Assign, Arguments of a Catch). */
export const applyTemplate = (template: Json, data: Json, scope: Scope, field: string): Json => {
  if (Array.isArray(template)) return template.map((t) => applyTemplate(t, data, scope, field));
  if (!isObject(template)) return template;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) {
      const name = key.slice(0, -2);
      if (typeof value !== 'string') {
        throw new StatesError(
          'States.Runtime',
          `${field}: the value of '${key}' must be a path or an intrinsic`,
        );
      }
      out[name] = evaluateExpression(value, data, scope, `${field} field '${key}'`);
    } else {
      out[key] = applyTemplate(value, data, scope, field);
    }
  }
  return out;
};

const evaluateExpression = (text: string, data: Json, scope: Scope, where: string): Json => {
  if (isIntrinsic(text)) {
    const call = parseIntrinsic(text);
    return evaluateCall(call, (path) => resolvePath(path, data, scope, where));
  }
  return resolvePath(text, data, scope, where);
};

// ---------- JSONata ----------

const JSONATA = /^\{%([\s\S]*)%\}$/;
const compiled = new Map<string, jsonata.Expression>();

const compile = (source: string, where: string): jsonata.Expression => {
  const hit = compiled.get(source);
  if (hit) return hit;
  try {
    const expr = jsonata(source);
    if (compiled.size > 5000) compiled.clear();
    compiled.set(source, expr);
    return expr;
  } catch (error) {
    throw new StatesError(
      'States.QueryEvaluationError',
      `${where}: the JSONata expression '${source.trim()}' does not parse: ${describe(error)}`,
      { cause: error, location: where },
    );
  }
};

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Step Functions' additions to the JSONata library. */
const EXTRA_FUNCTIONS = {
  partition: (array: unknown, size: unknown): unknown[] => {
    if (!Array.isArray(array) || typeof size !== 'number' || size <= 0) {
      throw new Error('$partition expects an array and a positive size');
    }
    const out: unknown[] = [];
    for (let i = 0; i < array.length; i += size) out.push(array.slice(i, i + size));
    return out;
  },
  range: (start: unknown, end: unknown, step: unknown): number[] => {
    if (typeof start !== 'number' || typeof end !== 'number' || typeof step !== 'number' || step === 0) {
      throw new Error('$range expects numbers start, end and a non-zero step');
    }
    const out: number[] = [];
    for (let v = start; step > 0 ? v <= end : v >= end; v += step) out.push(v);
    return out;
  },
  hash: (value: unknown, algorithm: unknown): string => {
    const names: Record<string, string> = {
      MD5: 'md5',
      'SHA-1': 'sha1',
      'SHA-256': 'sha256',
      'SHA-384': 'sha384',
      'SHA-512': 'sha512',
    };
    const alg = typeof algorithm === 'string' ? names[algorithm] : undefined;
    if (!alg) throw new Error('$hash: unknown algorithm');
    return createHash(alg)
      .update(typeof value === 'string' ? value : JSON.stringify(value))
      .digest('hex');
  },
  random: (): number => Math.random(),
  uuid: (): string => randomUUID(),
  // Step Functions leaves $eval out of its JSONata; $parse takes its place.
  eval: (): never => {
    throw new Error('$eval is not available in Step Functions; use $parse');
  },
  parse: (text: unknown): unknown => {
    if (typeof text !== 'string') throw new Error('$parse expects a string');
    return JSON.parse(text);
  },
};

export interface JsonataStates {
  readonly input: Json;
  readonly context: Json;
  readonly result?: Json;
  readonly errorOutput?: Json;
}

export const isJsonataExpression = (value: Json): value is string =>
  typeof value === 'string' && JSONATA.test(value);

/**
 * Evaluates a JSONata field: strings `{% ... %}` are expressions; objects and arrays are walked and
 * their expression strings replaced; anything else is a literal.
 */
export const evaluateJsonata = async (
  field: Json,
  states: JsonataStates,
  variables: Variables,
  where: string,
): Promise<Json> => {
  if (typeof field === 'string') {
    const m = JSONATA.exec(field);
    if (!m) return field;
    const source = m[1] ?? '';
    const expr = compile(source, where);
    const bindings: Record<string, unknown> = { ...EXTRA_FUNCTIONS, ...variables, states: { ...states } };
    let result: unknown;
    try {
      result = await expr.evaluate(null, bindings);
    } catch (error) {
      throw new StatesError(
        'States.QueryEvaluationError',
        `${where}: the JSONata expression '${source.trim()}' failed: ${describe(error)}`,
        { cause: error, location: where },
      );
    }
    if (result === undefined) {
      throw new StatesError(
        'States.QueryEvaluationError',
        `${where}: the JSONata expression '${source.trim()}' returned no value`,
        { location: where },
      );
    }
    return toJson(result);
  }
  if (Array.isArray(field)) {
    const out: Json[] = [];
    for (const item of field) out.push(await evaluateJsonata(item, states, variables, where));
    return out;
  }
  if (isObject(field)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(field))
      out[k] = await evaluateJsonata(v, states, variables, `${where}.${k}`);
    return out;
  }
  return field;
};

/** Parses a caller's JSON text (task output, execution input) into a value, or names what is wrong. */
export const parsePayload = (text: string, what: string): Json => {
  try {
    return parseJson(text);
  } catch (error) {
    throw new StatesError('States.Runtime', `${what} is not valid JSON: ${describe(error)}`, {
      cause: error,
    });
  }
};
