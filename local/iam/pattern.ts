/**
 * IAM string patterns with policy variables: `*` matches any run of characters, `?` exactly one, and
 * `${key}` is replaced by the request context's value, which then matches literally (even a `*` in it).
 * `${*}`, `${?}` and `${$}` stand for a literal `*`, `?` and `$`; `${key, 'default'}` falls back to the
 * default when the key is absent.
 */

/** A pattern after variables are resolved: literal runs and wildcards. */
export type PatternToken = { readonly literal: string } | '*' | '?';

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

/** Glob matching of tokens against a value: iterative with one backtrack point, no regex built from input. */
export function tokensMatch(tokens: readonly PatternToken[], value: string, ignoreCase = false): boolean {
  const p: string[] = [];
  const wild: boolean[] = [];
  for (const token of tokens) {
    if (typeof token === 'string') {
      p.push(token);
      wild.push(true);
    } else {
      for (const ch of ignoreCase ? token.literal.toLowerCase() : token.literal) {
        p.push(ch);
        wild.push(false);
      }
    }
  }
  const v = [...(ignoreCase ? value.toLowerCase() : value)];
  let pi = 0;
  let vi = 0;
  let starP = -1;
  let starV = 0;
  while (vi < v.length) {
    if (pi < p.length && ((wild[pi] && p[pi] === '?') || (!wild[pi] && p[pi] === v[vi]))) {
      pi++;
      vi++;
    } else if (pi < p.length && wild[pi] && p[pi] === '*') {
      starP = pi++;
      starV = vi;
    } else if (starP >= 0) {
      pi = starP + 1;
      vi = ++starV;
    } else {
      return false;
    }
  }
  while (pi < p.length && wild[pi] && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Glob matching of a policy string (no variables) against a value. */
export function globMatches(pattern: string, value: string, ignoreCase = false): boolean {
  return tokensMatch(parseTemplate(pattern, true) as PatternToken[], value, ignoreCase);
}

const ARN_PARTS = 6;

/** Splits tokens at the first five colons of their literal text (an ARN's six components). */
function splitTokens(tokens: readonly PatternToken[]): PatternToken[][] {
  const segments: PatternToken[][] = [[]];
  for (const token of tokens) {
    if (typeof token === 'string') {
      (segments[segments.length - 1] as PatternToken[]).push(token);
      continue;
    }
    const pieces = token.literal.split(':');
    pieces.forEach((piece, i) => {
      if (i > 0) {
        if (segments.length < ARN_PARTS) segments.push([]);
        else (segments[segments.length - 1] as PatternToken[]).push({ literal: ':' });
      }
      if (piece !== '') (segments[segments.length - 1] as PatternToken[]).push({ literal: piece });
    });
  }
  return segments;
}

/** Splits an ARN into its six components (the resource part keeps any further colons). */
export function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < ARN_PARTS || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, ARN_PARTS - 1), parts.slice(ARN_PARTS - 1).join(':')];
}

/**
 * ARN matching as IAM does it for Resource and the Arn operators: each of the six colon-separated
 * components is matched separately (case-sensitively), so a wildcard never spans the components before
 * the resource part. A pattern that is not a six-part ARN (`*`, `arn:aws:iot:*`) is one glob over the
 * whole value; a six-part pattern never matches a value that is not an ARN (such as the resource `*`).
 */
export function arnTokensMatch(tokens: readonly PatternToken[], value: string): boolean {
  const segments = splitTokens(tokens);
  if (segments.length < ARN_PARTS) return tokensMatch(tokens, value);
  const valueParts = arnParts(value);
  if (valueParts === undefined) return false;
  return segments.every((segment, i) => tokensMatch(segment, valueParts[i] as string));
}
