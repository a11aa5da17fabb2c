import { StatesError } from './errors.ts';
import { isObject, type Json, type JsonObject } from './json.ts';
import { type FilterExpr, type Operand, parsePath, type Segment } from './jsonpath-parse.ts';

/**
 * JSONPath as Step Functions evaluates it (Jayway semantics): dot and bracket names, indexes (also
 * negative), unions, wildcards, slices, deep scan and filters. A definite path (names and single
 * indexes only) yields one value or nothing; any other path yields an array of every match.
 */

const applySegment = (values: Json[], seg: Segment, root: Json): Json[] => {
  const out: Json[] = [];
  for (const v of values) {
    switch (seg.kind) {
      case 'name':
        if (isObject(v) && Object.hasOwn(v, seg.name)) out.push(v[seg.name] ?? null);
        break;
      case 'names':
        if (isObject(v)) for (const n of seg.names) if (Object.hasOwn(v, n)) out.push(v[n] ?? null);
        break;
      case 'index':
        if (Array.isArray(v)) {
          const i = seg.index < 0 ? v.length + seg.index : seg.index;
          if (i >= 0 && i < v.length) out.push(v[i] ?? null);
        }
        break;
      case 'indexes':
        if (Array.isArray(v)) {
          for (const idx of seg.indexes) {
            const i = idx < 0 ? v.length + idx : idx;
            if (i >= 0 && i < v.length) out.push(v[i] ?? null);
          }
        }
        break;
      case 'wildcard':
        if (Array.isArray(v)) out.push(...v);
        else if (isObject(v)) out.push(...Object.values(v));
        break;
      case 'slice':
        if (Array.isArray(v)) {
          const n = v.length;
          const norm = (x: number): number => (x < 0 ? Math.max(0, n + x) : Math.min(n, x));
          const start = seg.start === undefined ? 0 : norm(seg.start);
          const end = seg.end === undefined ? n : norm(seg.end);
          for (let i = start; i < end; i += Math.max(1, seg.step)) out.push(v[i] ?? null);
        }
        break;
      case 'deep': {
        const walk = (node: Json): void => {
          if (seg.name === undefined) out.push(node);
          else if (isObject(node) && Object.hasOwn(node, seg.name)) out.push(node[seg.name] ?? null);
          if (Array.isArray(node)) for (const c of node) walk(c);
          else if (isObject(node)) for (const c of Object.values(node)) walk(c);
        };
        walk(v);
        break;
      }
      case 'filter': {
        const candidates = Array.isArray(v) ? v : isObject(v) ? Object.values(v) : [];
        for (const c of candidates) if (evalFilter(seg.expr, c, root)) out.push(c);
        break;
      }
    }
  }
  return out;
};

const operandValues = (op: Operand, current: Json, root: Json): Json[] => {
  if (op.kind === 'literal') return [op.value];
  let values: Json[] = [op.root === '@' ? current : root];
  for (const seg of op.segments) values = applySegment(values, seg, root);
  return values;
};

const compare = (op: string, a: Json, b: Json): boolean => {
  if (op === '==') return JSON.stringify(a) === JSON.stringify(b);
  if (op === '!=') return JSON.stringify(a) !== JSON.stringify(b);
  if (typeof a === 'number' && typeof b === 'number') {
    return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  }
  return false;
};

const evalFilter = (expr: FilterExpr, current: Json, root: Json): boolean => {
  switch (expr.kind) {
    case 'or':
      return evalFilter(expr.left, current, root) || evalFilter(expr.right, current, root);
    case 'and':
      return evalFilter(expr.left, current, root) && evalFilter(expr.right, current, root);
    case 'not':
      return !evalFilter(expr.expr, current, root);
    case 'exists':
      return operandValues(expr.operand, current, root).length > 0;
    case 'cmp': {
      const l = operandValues(expr.left, current, root);
      const r = operandValues(expr.right, current, root);
      if (l.length === 0 || r.length === 0) return false;
      return compare(expr.op, l[0] ?? null, r[0] ?? null);
    }
  }
};

/** Evaluates a path: `found` is false when a definite path selects nothing. */
export const queryPath = (
  path: string,
  data: Json,
  context: Json,
): { found: true; value: Json } | { found: false } => {
  const parsed = parsePath(path);
  const root = parsed.context ? context : data;
  let values: Json[] = [root];
  for (const seg of parsed.segments) values = applySegment(values, seg, root);
  if (parsed.definite)
    return values.length > 0 ? { found: true, value: values[0] ?? null } : { found: false };
  return { found: true, value: values };
};

/** Evaluates a path that must select something, or raises States.Runtime naming the path and where. */
export const selectPath = (path: string, data: Json, context: Json, where: string): Json => {
  let result: ReturnType<typeof queryPath>;
  try {
    result = queryPath(path, data, context);
  } catch (error) {
    throw new StatesError(
      'States.Runtime',
      `${where}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  if (!result.found) {
    throw new StatesError(
      'States.Runtime',
      `Invalid path '${path}' : ${where}: the path could not be found in the input '${truncate(JSON.stringify(data))}'`,
    );
  }
  return result.value;
};

const truncate = (s: string): string => (s.length > 256 ? `${s.slice(0, 256)}...` : s);

/**
 * Places `value` into `target` at a reference path (ResultPath): names and indexes only, creating
 * missing objects on the way. `$` replaces the whole input.
 */
export const setPath = (target: Json, path: string, value: Json): Json => {
  const parsed = parsePath(path);
  if (parsed.context)
    throw new StatesError('States.Runtime', `ResultPath '${path}' cannot address the context`);
  if (parsed.segments.length === 0) return value;
  if (!parsed.definite) {
    throw new StatesError('States.ResultPathMatchFailure', `ResultPath '${path}' is not a reference path`);
  }
  const root: Json = isObject(target) || Array.isArray(target) ? structuredClone(target) : {};
  let node: Json = root;
  parsed.segments.forEach((seg, i) => {
    const last = i === parsed.segments.length - 1;
    if (seg.kind === 'name') {
      if (!isObject(node)) {
        throw new StatesError(
          'States.ResultPathMatchFailure',
          `Unable to apply ResultPath '${path}' to input: '${seg.name}' is not inside an object`,
        );
      }
      const obj: JsonObject = node;
      if (last) obj[seg.name] = value;
      else {
        const next = obj[seg.name];
        if (next === undefined) obj[seg.name] = {};
        else if (!isObject(next) && !Array.isArray(next)) {
          throw new StatesError(
            'States.ResultPathMatchFailure',
            `Unable to apply ResultPath '${path}' to input: '${seg.name}' holds ${JSON.stringify(next)}, not an object`,
          );
        }
        node = obj[seg.name] ?? null;
      }
    } else if (seg.kind === 'index') {
      if (!Array.isArray(node) || seg.index >= node.length) {
        throw new StatesError(
          'States.ResultPathMatchFailure',
          `Unable to apply ResultPath '${path}' to input`,
        );
      }
      const i = seg.index < 0 ? node.length + seg.index : seg.index;
      if (last) node[i] = value;
      else node = node[i] ?? null;
    }
  });
  return root;
};
