import type { Json } from './json.ts';

/** The JSONPath parser: a path's text into segments (names, indexes, unions, slices, deep scan, filters), cached. */

export type Segment =
  | { kind: 'name'; name: string }
  | { kind: 'names'; names: string[] }
  | { kind: 'index'; index: number }
  | { kind: 'indexes'; indexes: number[] }
  | { kind: 'wildcard' }
  | { kind: 'slice'; start: number | undefined; end: number | undefined; step: number }
  | { kind: 'deep'; name: string | undefined }
  | { kind: 'filter'; expr: FilterExpr };

export type FilterExpr =
  | { kind: 'or' | 'and'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; expr: FilterExpr }
  | { kind: 'cmp'; op: string; left: Operand; right: Operand }
  | { kind: 'exists'; operand: Operand };

export type Operand =
  | { kind: 'path'; root: '@' | '$'; segments: Segment[] }
  | { kind: 'literal'; value: Json };

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
    return this.parseChain('||', 'or', () => this.parseAnd());
  }

  parseAnd(): FilterExpr {
    return this.parseChain('&&', 'and', () => this.parseUnary());
  }

  /** Operands joined by `op`, grouped from the left. */
  parseChain(op: '||' | '&&', kind: 'or' | 'and', operand: () => FilterExpr): FilterExpr {
    let left = operand();
    for (;;) {
      this.skipSpaces();
      if (!this.text.startsWith(op, this.pos)) return left;
      this.pos += 2;
      left = { kind, left, right: operand() };
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
