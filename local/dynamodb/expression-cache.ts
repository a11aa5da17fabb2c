/**
 * A parse cache for dynalite's expression parsers. dynalite parses every ConditionExpression and
 * UpdateExpression of every request with a generated PEG parser: about a fifth of the local
 * DynamoDB's CPU in the fleet benchmark, for the same dozen expressions written again and again.
 *
 * What a parse returns depends on the expression, the attribute names and, through the parser's
 * type checks, the types of the attribute values; the values themselves only fill in its leaves.
 * So the cache key is the expression, the names and each value's type, and a hit is the cached
 * tree with this request's value objects put where the first request's were, and the same
 * "used" bookkeeping applied to the request's context (dynalite reports unused names and values
 * after the parse). Expressions whose checks look at a value's content (BETWEEN compares its
 * bounds, attribute_type reads its type name) are never cached, nor is any failed parse: those
 * always go to the parser.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type Values = Record<string, unknown>;

/** The part of the context dynalite hands its parsers that a parse reads or changes. */
interface ParseContext {
  attrNames?: Record<string, string>;
  attrVals?: Values;
  unusedAttrNames?: Record<string, unknown>;
  unusedAttrVals?: Record<string, unknown>;
  isKeyCondition?: boolean;
}

type ParseFunction = (text: string, options: { context: ParseContext }) => unknown;

interface CachedParse {
  /** A private copy of the first result; the first request's value objects are its leaves. */
  readonly tree: unknown;
  readonly leaves: ReadonlyMap<object, string>;
  readonly usedNames: readonly string[];
  readonly usedValues: readonly string[];
}

/** dynalite's parser modules, by the name the cache keys them with. */
const PARSER_MODULES = {
  condition: 'dynalite/db/conditionParser',
  update: 'dynalite/db/updateParser',
  projection: 'dynalite/db/projectionParser',
} as const;

const VALUE_DEPENDENT = /\b(between|attribute_type)\b/i;
const MAX_ENTRIES = 2000;
const INSTALLED = Symbol.for('recert.dynalite.expressionCache');

function isObject(value: unknown): value is Record<string | symbol, unknown> {
  return typeof value === 'object' && value !== null;
}

function valueType(value: unknown): string {
  return isObject(value) ? Object.keys(value).sort().join('|') : typeof value;
}

function keyOf(parser: string, text: string, context: ParseContext): string {
  const values: Values = context.attrVals ?? {};
  const types = Object.keys(values)
    .sort()
    .map((name) => `${name}=${valueType(values[name])}`);
  return [
    parser,
    context.isKeyCondition ? 'key' : '',
    text,
    JSON.stringify(context.attrNames ?? null),
    types.join(','),
  ].join('\u0000');
}

/** Copies a parse tree, putting `substitute(leaf)` wherever a recorded value object stood. */
function copyTree(
  node: unknown,
  leaves: ReadonlyMap<object, string>,
  substitute: (name: string) => unknown,
): unknown {
  if (!isObject(node)) return node;
  const leaf = leaves.get(node);
  if (leaf !== undefined) return substitute(leaf);
  if (Array.isArray(node)) return node.map((child) => copyTree(child, leaves, substitute));
  const copy: Record<string, unknown> = Object.getPrototypeOf(node) === null ? Object.create(null) : {};
  for (const [key, child] of Object.entries(node)) {
    // Own data properties, so a key such as `__proto__` stays a key.
    Object.defineProperty(copy, key, {
      value: copyTree(child, leaves, substitute),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

function usedKeys(before: readonly string[], after: Record<string, unknown> | undefined): string[] {
  return before.filter((key) => !(after && key in after));
}

/** Wraps one parser's `parse` with the cache; `original` stays reachable for comparison. */
export function cachedParse(
  name: string,
  original: ParseFunction,
): ParseFunction & { original: ParseFunction } {
  const cache = new Map<string, CachedParse>();
  const parse = (text: string, options: { context: ParseContext }): unknown => {
    const context = options.context;
    if (
      typeof text !== 'string' ||
      typeof context !== 'object' ||
      context === null ||
      VALUE_DEPENDENT.test(text)
    ) {
      return original(text, options);
    }
    const key = keyOf(name, text, context);
    const hit = cache.get(key);
    const values: Values = context.attrVals ?? {};
    if (hit) {
      for (const used of hit.usedNames) delete context.unusedAttrNames?.[used];
      for (const used of hit.usedValues) delete context.unusedAttrVals?.[used];
      return copyTree(hit.tree, hit.leaves, (leaf) => values[leaf]);
    }
    const namesBefore = Object.keys(context.unusedAttrNames ?? {});
    const valuesBefore = Object.keys(context.unusedAttrVals ?? {});
    const result = original(text, options);
    if (!isObject(result)) return result; // an error message: never cached
    const leaves = new Map<object, string>();
    for (const [valueName, value] of Object.entries(values)) {
      if (isObject(value) && !leaves.has(value)) leaves.set(value, valueName);
    }
    if (leaves.size < Object.keys(values).length) return result; // shared value objects: not mappable
    if (cache.size >= MAX_ENTRIES) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(key, {
      tree: copyTree(result, leaves, (leaf) => values[leaf]),
      leaves,
      usedNames: usedKeys(namesBefore, context.unusedAttrNames),
      usedValues: usedKeys(valuesBefore, context.unusedAttrVals),
    });
    return result;
  };
  return Object.assign(parse, { original });
}

/** Puts the cache in front of dynalite's parsers, once per process. */
export function installExpressionCache(): void {
  for (const [name, path] of Object.entries(PARSER_MODULES)) {
    const loaded: unknown = require(path);
    if (!isObject(loaded) || typeof loaded.parse !== 'function') {
      throw new Error(`${path} is not a parser module: the dynalite version changed`);
    }
    if (loaded[INSTALLED] === true) continue;
    const parse = loaded.parse;
    loaded.parse = cachedParse(name, (text, options) => Reflect.apply(parse, loaded, [text, options]));
    loaded[INSTALLED] = true;
  }
}

/** The uncached parsers, for tests that compare the two. */
export function dynaliteParsers(): Record<keyof typeof PARSER_MODULES, ParseFunction> {
  const of = (path: string): ParseFunction => {
    const loaded: unknown = require(path);
    if (!isObject(loaded) || typeof loaded.parse !== 'function') throw new Error(`${path} has no parse`);
    const current = loaded.parse;
    // Once the cache is installed, the parser it wraps is its `original`.
    const original: unknown = Reflect.get(current, 'original');
    const parse = typeof original === 'function' ? original : current;
    return (text, options) => Reflect.apply(parse, loaded, [text, options]);
  };
  return {
    condition: of(PARSER_MODULES.condition),
    update: of(PARSER_MODULES.update),
    projection: of(PARSER_MODULES.projection),
  };
}
