import { createHash, randomUUID } from 'node:crypto';
import { StatesError } from './errors.ts';
import { isObject, type Json, jsonEquals, parseJson } from './json.ts';

/**
 * The `States.*` intrinsic functions of JSONPath payload templates. Arguments are literals, paths
 * (`$.x`, `$$.x`, `$variable`) and nested intrinsic calls; a path is resolved by the caller.
 */

export type Arg =
  | { kind: 'literal'; value: Json }
  | { kind: 'path'; path: string }
  | { kind: 'call'; call: Call };
export interface Call {
  readonly name: string;
  readonly args: readonly Arg[];
}

const fail = (message: string): StatesError => new StatesError('States.Runtime', message);

export const isIntrinsic = (text: string): boolean => /^States\.[A-Za-z0-9]+\(/.test(text.trim());

export const parseIntrinsic = (text: string): Call => {
  const p = new IntrinsicParser(text.trim());
  const call = p.call();
  p.spaces();
  if (!p.done()) throw fail(`Invalid intrinsic function '${text}': unexpected trailing text`);
  return call;
};

class IntrinsicParser {
  private pos = 0;
  constructor(private readonly t: string) {}
  done(): boolean {
    return this.pos >= this.t.length;
  }
  spaces(): void {
    while (this.t[this.pos] === ' ') this.pos++;
  }
  call(): Call {
    const m = /^States\.[A-Za-z0-9]+/.exec(this.t.slice(this.pos));
    if (!m) throw fail(`Invalid intrinsic function '${this.t}'`);
    const name = m[0];
    this.pos += name.length;
    if (this.t[this.pos] !== '(') throw fail(`Invalid intrinsic function '${this.t}': expected (`);
    this.pos++;
    const args: Arg[] = [];
    this.spaces();
    if (this.t[this.pos] === ')') {
      this.pos++;
      return { name, args };
    }
    for (;;) {
      this.spaces();
      args.push(this.arg());
      this.spaces();
      const c = this.t[this.pos];
      this.pos++;
      if (c === ')') return { name, args };
      if (c !== ',') throw fail(`Invalid intrinsic function '${this.t}': expected , or )`);
    }
  }
  arg(): Arg {
    const rest = this.t.slice(this.pos);
    if (rest.startsWith('States.')) return { kind: 'call', call: this.call() };
    if (rest.startsWith("'")) {
      this.pos++;
      let out = '';
      while (this.pos < this.t.length && this.t[this.pos] !== "'") {
        if (this.t[this.pos] === '\\') {
          this.pos++;
        }
        out += this.t[this.pos] ?? '';
        this.pos++;
      }
      if (this.t[this.pos] !== "'") throw fail(`Invalid intrinsic function '${this.t}': unclosed string`);
      this.pos++;
      return { kind: 'literal', value: out };
    }
    if (rest.startsWith('$')) {
      // A path runs to the next top-level comma or closing parenthesis.
      let depth = 0;
      let i = this.pos;
      let quote = '';
      for (; i < this.t.length; i++) {
        const c = this.t[i];
        if (quote) {
          if (c === quote) quote = '';
          continue;
        }
        if (c === "'" || c === '"') quote = c;
        else if (c === '[' || c === '(') depth++;
        else if (c === ']' || (c === ')' && depth > 0)) depth--;
        else if ((c === ',' || c === ')') && depth === 0) break;
      }
      const path = this.t.slice(this.pos, i).trim();
      this.pos = i;
      return { kind: 'path', path };
    }
    const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(rest);
    if (!m?.[1]) throw fail(`Invalid intrinsic function '${this.t}': bad argument at ${this.pos}`);
    this.pos += m[1].length;
    const lit = m[1];
    return {
      kind: 'literal',
      value: lit === 'true' ? true : lit === 'false' ? false : lit === 'null' ? null : Number(lit),
    };
  }
}

const str = (fn: string, v: Json | undefined, i: number): string => {
  if (typeof v !== 'string')
    throw fail(`${fn}: argument ${i + 1} must be a string, got ${JSON.stringify(v ?? null)}`);
  return v;
};
const num = (fn: string, v: Json | undefined, i: number): number => {
  if (typeof v !== 'number')
    throw fail(`${fn}: argument ${i + 1} must be a number, got ${JSON.stringify(v ?? null)}`);
  return v;
};
const int = (fn: string, v: Json | undefined, i: number): number => {
  const n = num(fn, v, i);
  if (!Number.isInteger(n)) throw fail(`${fn}: argument ${i + 1} must be an integer, got ${n}`);
  return n;
};
const arr = (fn: string, v: Json | undefined, i: number): Json[] => {
  if (!Array.isArray(v)) throw fail(`${fn}: argument ${i + 1} must be an array`);
  return v;
};
const arity = (fn: string, args: Json[], min: number, max = min): void => {
  if (args.length < min || args.length > max) {
    throw fail(`${fn}: expected ${min === max ? min : `${min} to ${max}`} arguments, got ${args.length}`);
  }
};

const render = (v: Json): string => (typeof v === 'string' ? v : JSON.stringify(v));

const HASHES: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/** Evaluates a parsed call; `resolve` turns a path argument into its value. */
export const evaluateCall = (call: Call, resolve: (path: string) => Json): Json => {
  const args = call.args.map(
    (a): Json =>
      a.kind === 'literal' ? a.value : a.kind === 'path' ? resolve(a.path) : evaluateCall(a.call, resolve),
  );
  const fn = call.name;
  switch (fn) {
    case 'States.Format': {
      if (args.length < 1) throw fail(`${fn}: expected a template`);
      const template = str(fn, args[0], 0);
      let next = 1;
      let out = '';
      for (let i = 0; i < template.length; i++) {
        const c = template[i];
        if (c === '\\' && i + 1 < template.length) {
          out += template[++i];
        } else if (c === '{' && template[i + 1] === '}') {
          if (next >= args.length) throw fail(`${fn}: more {} in the template than arguments`);
          out += render(args[next++] ?? null);
          i++;
        } else out += c;
      }
      if (next !== args.length)
        throw fail(`${fn}: ${args.length - next} arguments left unused by the template`);
      return out;
    }
    case 'States.StringToJson': {
      arity(fn, args, 1);
      try {
        return parseJson(str(fn, args[0], 0));
      } catch (error) {
        throw new StatesError('States.Runtime', `${fn}: the argument is not JSON`, { cause: error });
      }
    }
    case 'States.JsonToString':
      arity(fn, args, 1);
      return JSON.stringify(args[0] ?? null);
    case 'States.Array':
      return args;
    case 'States.ArrayPartition': {
      arity(fn, args, 2);
      const a = arr(fn, args[0], 0);
      const size = int(fn, args[1], 1);
      if (size <= 0) throw fail(`${fn}: the chunk size must be positive`);
      const out: Json[] = [];
      for (let i = 0; i < a.length; i += size) out.push(a.slice(i, i + size));
      return out;
    }
    case 'States.ArrayContains': {
      arity(fn, args, 2);
      const a = arr(fn, args[0], 0);
      return a.some((v) => jsonEquals(v, args[1] ?? null));
    }
    case 'States.ArrayRange': {
      arity(fn, args, 3);
      const start = int(fn, args[0], 0);
      const end = int(fn, args[1], 1);
      const step = int(fn, args[2], 2);
      if (step === 0) throw fail(`${fn}: the step must not be 0`);
      const out: Json[] = [];
      for (let v = start; step > 0 ? v <= end : v >= end; v += step) {
        out.push(v);
        if (out.length > 1000) throw fail(`${fn}: the range has more than 1000 items`);
      }
      return out;
    }
    case 'States.ArrayGetItem': {
      arity(fn, args, 2);
      const a = arr(fn, args[0], 0);
      const i = int(fn, args[1], 1);
      if (i < 0 || i >= a.length) throw fail(`${fn}: index ${i} is out of bounds`);
      return a[i] ?? null;
    }
    case 'States.ArrayLength':
      arity(fn, args, 1);
      return arr(fn, args[0], 0).length;
    case 'States.ArrayUnique': {
      arity(fn, args, 1);
      const out: Json[] = [];
      for (const v of arr(fn, args[0], 0)) if (!out.some((o) => jsonEquals(o, v))) out.push(v);
      return out;
    }
    case 'States.Base64Encode': {
      arity(fn, args, 1);
      return Buffer.from(str(fn, args[0], 0), 'utf8').toString('base64');
    }
    case 'States.Base64Decode': {
      arity(fn, args, 1);
      const s = str(fn, args[0], 0);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw fail(`${fn}: the argument is not base64`);
      return Buffer.from(s, 'base64').toString('utf8');
    }
    case 'States.Hash': {
      arity(fn, args, 2);
      const algorithm = HASHES[str(fn, args[1], 1)];
      if (!algorithm) throw fail(`${fn}: the algorithm must be one of ${Object.keys(HASHES).join(', ')}`);
      return createHash(algorithm)
        .update(render(args[0] ?? null))
        .digest('hex');
    }
    case 'States.JsonMerge': {
      arity(fn, args, 3);
      const a = args[0];
      const b = args[1];
      if (!isObject(a) || !isObject(b)) throw fail(`${fn}: both arguments must be objects`);
      if (args[2] !== false) throw fail(`${fn}: only shallow merge (false) is supported`);
      return { ...a, ...b };
    }
    case 'States.MathRandom': {
      arity(fn, args, 2, 3);
      const start = int(fn, args[0], 0);
      const end = int(fn, args[1], 1);
      return start + Math.floor(Math.random() * (end - start));
    }
    case 'States.MathAdd': {
      arity(fn, args, 2);
      return int(fn, args[0], 0) + int(fn, args[1], 1);
    }
    case 'States.StringSplit': {
      arity(fn, args, 2);
      const s = str(fn, args[0], 0);
      const chars = str(fn, args[1], 1);
      if (chars === '') return [s];
      return s.split(new RegExp(`[${chars.replace(/[\\\]^-]/g, '\\$&')}]`)).filter((p) => p !== '');
    }
    case 'States.UUID':
      arity(fn, args, 0);
      return randomUUID();
    default:
      throw fail(`Unknown intrinsic function ${fn}`);
  }
};
