import { StatesError } from './errors.ts';
import { isObject, type Json, type JsonObject } from './json.ts';

/**
 * JSONPath as Step Functions evaluates it (Jayway semantics): dot and bracket names, indexes (also
 * negative), unions, wildcards, slices, deep scan and filters. A definite path (names and single
 * indexes only) yields one value or nothing; any other path yields an array of every match.
 */

type Segment =
  | { kind: 'name'; name: string }
  | { kind: 'names'; names: string[] }
  | { kind: 'index'; index: number }
  | { kind: 'indexes'; indexes: number[] }
  | { kind: 'wildcard' }
  | { kind: 'slice'; start: number | undefined; end: number | undefined; step: number }
  | { kind: 'deep'; name: string | undefined }
  | { kind: 'filter'; expr: FilterExpr };

type FilterExpr =
  | { kind: 'or' | 'and'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; expr: FilterExpr }
  | { kind: 'cmp'; op: string; left: Operand; right: Operand }
  | { kind: 'exists'; operand: Operand };

type Operand = { kind: 'path'; root: '@' | '$'; segments: Segment[] } | { kind: 'literal'; value: Json };

export class JsonPathSyntaxError extends Error {
  constructor(path: string, reason: string) {
    super(`Invalid JSONPath '${path}': ${reason}`);
    this.name = 'JsonPathSyntaxError';
  }
}

export interface ParsedPath {
  readonly text: string;
  /** `$$` paths read the context object. */
  readonly context: boolean;
  readonly segments: readonly Segment[];
  readonly definite: boolean;
}

const cache = new Map<string, ParsedPath>();

export const parsePath = (text: string): ParsedPath => {
  const cached = cache.get(text);
  if (cached) return cached;
  const parser = new Parser(text);
  const parsed = parser.parseRoot();
  if (cache.size > 5000) cache.clear();
  cache.set(text, parsed);
  return parsed;
};

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseRoot(): ParsedPath {
    const t = this.text;
    let context = false;
    if (t.startsWith('$$')) {
      context = true;
      this.pos = 2;
    } else if (t.startsWith('$')) {
      this.pos = 1;
    } else {
      throw new JsonPathSyntaxError(t, 'a path must start with $');
    }
    const segments = this.parseSegments(false);
    if (this.pos !== t.length) throw new JsonPathSyntaxError(t, `unexpected '${t.slice(this.pos)}'`);
    const definite = segments.every((s) => s.kind === 'name' || s.kind === 'index');
    return { text: t, context, segments, definite };
  }

  parseSegments(inFilter: boolean): Segment[] {
    const segments: Segment[] = [];
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === '.') {
        if (t[this.pos + 1] === '.') {
          this.pos += 2;
          if (t[this.pos] === '[') {
            const inner = this.parseBracket();
            segments.push({ kind: 'deep', name: undefined }, inner);
          } else if (t[this.pos] === '*') {
            this.pos++;
            segments.push({ kind: 'deep', name: undefined }, { kind: 'wildcard' });
          } else {
            segments.push({ kind: 'deep', name: this.parseName() });
          }
        } else {
          this.pos++;
          if (t[this.pos] === '*') {
            this.pos++;
            segments.push({ kind: 'wildcard' });
          } else {
            segments.push({ kind: 'name', name: this.parseName() });
          }
        }
      } else if (c === '[') {
        segments.push(this.parseBracket());
      } else if (inFilter) {
        break;
      } else {
        throw new JsonPathSyntaxError(t, `unexpected '${c}' at ${this.pos}`);
      }
    }
    return segments;
  }

  parseName(): string {
    const t = this.text;
    const start = this.pos;
    while (this.pos < t.length && !/[.[\]\s()=!<>&|,]/.test(t[this.pos] ?? '')) this.pos++;
    if (this.pos === start) throw new JsonPathSyntaxError(t, `empty name at ${start}`);
    return t.slice(start, this.pos);
  }

  skipSpaces(): void {
    while (this.text[this.pos] === ' ') this.pos++;
  }

  parseBracket(): Segment {
    const t = this.text;
    this.pos++; // [
    this.skipSpaces();
    const c = t[this.pos];
    let seg: Segment;
    if (c === '*') {
      this.pos++;
      seg = { kind: 'wildcard' };
    } else if (c === "'" || c === '"') {
      const names: string[] = [this.parseQuoted()];
      this.skipSpaces();
      while (t[this.pos] === ',') {
        this.pos++;
        this.skipSpaces();
        names.push(this.parseQuoted());
        this.skipSpaces();
      }
      seg = names.length === 1 ? { kind: 'name', name: names[0] ?? '' } : { kind: 'names', names };
    } else if (c === '?') {
      this.pos++;
      this.skipSpaces();
      if (t[this.pos] !== '(') throw new JsonPathSyntaxError(t, 'a filter must be ?(...)');
      this.pos++;
      const expr = this.parseOr();
      this.skipSpaces();
      if (t[this.pos] !== ')') throw new JsonPathSyntaxError(t, 'unclosed filter');
      this.pos++;
      seg = { kind: 'filter', expr };
    } else {
      const end = t.indexOf(']', this.pos);
      if (end < 0) throw new JsonPathSyntaxError(t, 'unclosed [');
      const body = t.slice(this.pos, end).replace(/\s/g, '');
      this.pos = end;
      seg = parseIndexBody(t, body);
    }
    this.skipSpaces();
    if (t[this.pos] !== ']') throw new JsonPathSyntaxError(t, `expected ] at ${this.pos}`);
    this.pos++;
    return seg;
  }

  parseQuoted(): string {
    const t = this.text;
    const quote = t[this.pos];
    this.pos++;
    let out = '';
    while (this.pos < t.length && t[this.pos] !== quote) {
      if (t[this.pos] === '\\') this.pos++;
      out += t[this.pos] ?? '';
      this.pos++;
    }
    if (t[this.pos] !== quote) throw new JsonPathSyntaxError(t, 'unclosed quote');
    this.pos++;
    return out;
  }

  parseOr(): FilterExpr {
    let left = this.parseAnd();
    for (;;) {
      this.skipSpaces();
      if (this.text.startsWith('||', this.pos)) {
        this.pos += 2;
        left = { kind: 'or', left, right: this.parseAnd() };
      } else return left;
    }
  }

  parseAnd(): FilterExpr {
    let left = this.parseUnary();
    for (;;) {
      this.skipSpaces();
      if (this.text.startsWith('&&', this.pos)) {
        this.pos += 2;
        left = { kind: 'and', left, right: this.parseUnary() };
      } else return left;
    }
  }

  parseUnary(): FilterExpr {
    this.skipSpaces();
    const t = this.text;
    if (t[this.pos] === '!' && t[this.pos + 1] !== '=') {
      this.pos++;
      return { kind: 'not', expr: this.parseUnary() };
    }
    if (t[this.pos] === '(') {
      this.pos++;
      const inner = this.parseOr();
      this.skipSpaces();
      if (t[this.pos] !== ')') throw new JsonPathSyntaxError(t, 'unclosed (');
      this.pos++;
      return inner;
    }
    const left = this.parseOperand();
    this.skipSpaces();
    const op = /^(==|!=|<=|>=|<|>)/.exec(t.slice(this.pos))?.[1];
    if (!op) return { kind: 'exists', operand: left };
    this.pos += op.length;
    this.skipSpaces();
    return { kind: 'cmp', op, left, right: this.parseOperand() };
  }

  parseOperand(): Operand {
    const t = this.text;
    const c = t[this.pos];
    if (c === '@' || c === '$') {
      this.pos++;
      return { kind: 'path', root: c, segments: this.parseSegments(true) };
    }
    if (c === "'" || c === '"') return { kind: 'literal', value: this.parseQuoted() };
    const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(t.slice(this.pos));
    if (!m?.[1]) throw new JsonPathSyntaxError(t, `unexpected filter operand at ${this.pos}`);
    this.pos += m[1].length;
    const lit = m[1];
    return {
      kind: 'literal',
      value: lit === 'true' ? true : lit === 'false' ? false : lit === 'null' ? null : Number(lit),
    };
  }
}

const parseIndexBody = (text: string, body: string): Segment => {
  if (/^-?\d+$/.test(body)) return { kind: 'index', index: Number(body) };
  if (/^-?\d+(,-?\d+)+$/.test(body)) return { kind: 'indexes', indexes: body.split(',').map(Number) };
  const slice = /^(-?\d*):(-?\d*)(?::(-?\d+))?$/.exec(body);
  if (slice) {
    return {
      kind: 'slice',
      start: slice[1] ? Number(slice[1]) : undefined,
      end: slice[2] ? Number(slice[2]) : undefined,
      step: slice[3] ? Number(slice[3]) : 1,
    };
  }
  throw new JsonPathSyntaxError(text, `unsupported bracket [${body}]`);
};

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
