/**
 * IAM string patterns: `*`, `?`, and `${key}` replaced by the context's value and matched literally; `${*}`,
 * `${?}` and `${$}` are literals, and `${key, 'default'}` falls back when the key is absent.
 */

import type { PatternToken } from '../glob.ts';

/** A pattern as written in a policy: literal runs, wildcards and variables still to resolve. */
export type TemplatePart = PatternToken | { readonly variable: string; readonly fallback?: string };

/** Looks a single-valued context key up (case-insensitively); undefined when absent or multivalued. */
export type VariableLookup = (key: string) => string | undefined;

const ESCAPES: Readonly<Record<string, string>> = { '*': '*', '?': '?', $: '$' };
const VARIABLE = /^\s*([^,\s}][^,}]*?)\s*(?:,\s*'([^']*)'\s*)?$/;

/**
 * Splits a policy string into parts. `wildcards` false reads `*` and `?` as literal characters (exact
 * operators such as StringEquals); a `${` without a closing `}` stays literal text.
 */
export function parseTemplate(text: string, wildcards: boolean): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') parts.push({ literal });
    literal = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      const inner = end < 0 ? undefined : text.slice(i + 2, end);
      const escaped = inner === undefined ? undefined : ESCAPES[inner];
      const variable = inner === undefined || escaped !== undefined ? null : VARIABLE.exec(inner);
      if (escaped !== undefined) {
        literal += escaped;
        i = end;
        continue;
      }
      if (variable?.[1] !== undefined) {
        flush();
        const fallback = variable[2];
        parts.push(fallback === undefined ? { variable: variable[1] } : { variable: variable[1], fallback });
        i = end;
        continue;
      }
    }
    if (wildcards && (ch === '*' || ch === '?')) {
      flush();
      parts.push(ch);
    } else {
      literal += ch;
    }
  }
  flush();
  return parts;
}

/** Replaces variables by their values; undefined when one has no value (the pattern then matches nothing). */
export function resolveTemplate(
  parts: readonly TemplatePart[],
  lookup: VariableLookup,
): PatternToken[] | undefined {
  const tokens: PatternToken[] = [];
  for (const part of parts) {
    if (typeof part === 'string' || 'literal' in part) {
      tokens.push(part);
      continue;
    }
    const value = lookup(part.variable) ?? part.fallback;
    if (value === undefined) return undefined;
    if (value !== '') tokens.push({ literal: value });
  }
  return tokens;
}

/** The tokens as plain text (for exact comparisons, where `*` and `?` were read as literals). */
export function tokensText(tokens: readonly PatternToken[]): string {
  let text = '';
  for (const token of tokens) text += typeof token === 'string' ? token : token.literal;
  return text;
}

/**
 * ARN matching as IAM does it (case-sensitive): wildcards stay within colon-separated segments, except a `*`
 * that ends one, which spans colons (AWS's "Using wildcards in resource ARNs"); an NFA walk, no regex.
 */
export function arnTokensMatch(tokens: readonly PatternToken[], value: string): boolean {
  // The shapes policies are written in: a literal ARN, or a literal prefix and a final `*` (which
  // spans colons). Both are decided without the walk.
  const last = tokens.length - 1;
  if (tokens.every((token, i) => typeof token !== 'string' || (token === '*' && i === last && i > 0))) {
    let prefix = '';
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i];
      if (typeof token !== 'string' && token !== undefined) prefix += token.literal;
    }
    return tokens[last] === '*' ? value.startsWith(prefix) : value === prefix;
  }
  // One item per pattern character: a literal, `?` (one non-colon character), or `*` (spanning or not).
  type Item = { ch: string } | { one: true } | { star: boolean };
  const items: Item[] = [];
  tokens.forEach((token, i) => {
    if (token === '?') items.push({ one: true });
    else if (token === '*') {
      const next = tokens[i + 1];
      const spans = next === undefined || (typeof next !== 'string' && next.literal.startsWith(':'));
      items.push({ star: spans });
    } else for (const ch of token.literal) items.push({ ch });
  });
  // reachable[k]: the pattern's first k items can match the value read so far.
  let reachable = new Array<boolean>(items.length + 1).fill(false);
  const close = (states: boolean[]) => {
    // A `*` may match nothing: being before it is being after it.
    for (let k = 0; k < items.length; k++)
      if (states[k] && 'star' in (items[k] as Item)) states[k + 1] = true;
    return states;
  };
  reachable[0] = true;
  close(reachable);
  for (const ch of value) {
    const next = new Array<boolean>(items.length + 1).fill(false);
    let any = false;
    for (let k = 0; k < items.length; k++) {
      if (!reachable[k]) continue;
      const item = items[k] as Item;
      if ('star' in item) {
        if (item.star || ch !== ':') {
          next[k] = true;
          any = true;
        }
      } else if ('one' in item ? ch !== ':' : item.ch === ch) {
        next[k + 1] = true;
        any = true;
      }
    }
    if (!any) return false;
    reachable = close(next);
  }
  return reachable[items.length] === true;
}
