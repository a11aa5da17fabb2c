/**
 * The string patterns of IAM and AWS IoT policies (`*` any run, `?` one character), as tokens so text
 * substituted from a policy variable stays literal even when it holds `*` or `?`.
 */
export type PatternToken = { readonly literal: string } | '*' | '?';

export function tokensOf(pattern: string): PatternToken[] {
  const tokens: PatternToken[] = [];
  let literal = '';
  for (const ch of pattern) {
    if (ch === '*' || ch === '?') {
      if (literal !== '') tokens.push({ literal });
      literal = '';
      tokens.push(ch);
    } else {
      literal += ch;
    }
  }
  if (literal !== '') tokens.push({ literal });
  return tokens;
}

/** Glob matching of a pattern without variables (an Action, an IoT topic) against a value. */
export function globMatches(pattern: string, value: string, ignoreCase = false): boolean {
  return tokensMatch(tokensOf(pattern), value, ignoreCase);
}

/** Matches tokens against a value: iterative, one backtrack point, no regex built from input. */
export function tokensMatch(tokens: readonly PatternToken[], value: string, ignoreCase = false): boolean {
  const fold = (text: string) => (ignoreCase ? text.toLowerCase() : text);
  // Flatten to one entry per character: a wildcard, or a literal character.
  const p: Array<{ wild: '*' | '?' } | { ch: string }> = [];
  for (const token of tokens) {
    if (token === '*' || token === '?') p.push({ wild: token });
    else for (const ch of fold(token.literal)) p.push({ ch });
  }
  const v = [...fold(value)];
  let pi = 0;
  let vi = 0;
  let starP = -1;
  let starV = 0;
  while (vi < v.length) {
    const pc = p[pi];
    if (pc !== undefined && (('wild' in pc && pc.wild === '?') || ('ch' in pc && pc.ch === v[vi]))) {
      pi++;
      vi++;
    } else if (pc !== undefined && 'wild' in pc && pc.wild === '*') {
      starP = pi++;
      starV = vi;
    } else if (starP >= 0) {
      pi = starP + 1;
      vi = ++starV;
    } else {
      return false;
    }
  }
  while (true) {
    const pc = p[pi];
    if (pc !== undefined && 'wild' in pc && pc.wild === '*') pi++;
    else break;
  }
  return pi === p.length;
}
