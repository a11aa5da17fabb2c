/**
 * Whether a policy's resource (an ARN with IAM's `*` and `?` wildcards) can name a resource of a
 * type the Service Authorization Reference describes by its ARN format (`${Variable}`s). Both are
 * turned into token lists and their intersection decided with a small product automaton: the
 * resource names one of the type's resources when some string matches both.
 */

/** A character class: any character, or any but the ones listed. */
interface CharClass {
  readonly except: string;
}
type Token =
  | { readonly kind: 'char'; readonly char: string }
  | { readonly kind: 'one'; readonly cls: CharClass }
  | { readonly kind: 'many'; readonly cls: CharClass };

const ANY: CharClass = { except: '' };

/**
 * What a format variable may hold: no `:` (an ARN's separator) and, for most, no `/` either.
 * Names that AWS lets hold `/` (log groups, log streams, MQTT topics) keep it.
 */
const SLASHED = new Set(['LogGroupName', 'LogStreamName', 'TopicName']);
const variableClass = (name: string, service: string): CharClass =>
  SLASHED.has(name) && !(name === 'TopicName' && service === 'sns') ? { except: ':' } : { except: ':/' };

const inClass = (char: string, cls: CharClass) => !cls.except.includes(char);

/** A policy resource: `*` any run of characters, `?` any one. */
export function resourceTokens(resource: string): Token[] {
  return [...resource].map((char): Token => {
    if (char === '*') return { kind: 'many', cls: ANY };
    if (char === '?') return { kind: 'one', cls: ANY };
    return { kind: 'char', char };
  });
}

/** An ARN format: each `${Variable}` one or more characters of its class. */
export function formatTokens(format: string): Token[] {
  const service = format.split(':')[2] ?? '';
  const tokens: Token[] = [];
  for (const part of format.split(/(\$\{[A-Za-z]+\})/)) {
    const variable = /^\$\{([A-Za-z]+)\}$/.exec(part)?.[1];
    if (variable !== undefined) {
      const cls = variableClass(variable, service);
      tokens.push({ kind: 'one', cls }, { kind: 'many', cls });
    } else {
      for (const char of part) tokens.push({ kind: 'char', char });
    }
  }
  return tokens;
}

/** Whether some string matches both token lists. */
export function intersects(a: readonly Token[], b: readonly Token[]): boolean {
  const seen = new Set<string>();
  const stack: [number, number][] = [[0, 0]];
  while (stack.length > 0) {
    const [i, j] = stack.pop() as [number, number];
    const key = `${i},${j}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    const x = a[i];
    const y = b[j];
    // A run may end (match nothing more) on either side.
    if (x?.kind === 'many') stack.push([i + 1, j]);
    if (y?.kind === 'many') stack.push([i, j + 1]);
    if (x === undefined || y === undefined) continue;
    // Or both sides consume one common character.
    const consumes = (t: Token, k: number): number => (t.kind === 'many' ? k : k + 1);
    if (x.kind === 'char' && y.kind === 'char') {
      if (x.char === y.char) stack.push([i + 1, j + 1]);
    } else if (x.kind === 'char' && y.kind !== 'char') {
      if (inClass(x.char, y.cls)) stack.push([i + 1, consumes(y, j)]);
    } else if (y.kind === 'char' && x.kind !== 'char') {
      if (inClass(y.char, x.cls)) stack.push([consumes(x, i), j + 1]);
    } else if (x.kind !== 'char' && y.kind !== 'char') {
      // Every class here holds the letters, so two classes always share a character.
      const next: [number, number] = [consumes(x, i), consumes(y, j)];
      if (next[0] !== i || next[1] !== j) stack.push(next);
    }
  }
  return false;
}

/** Whether a policy resource can name a resource of the type with this ARN format. */
export function resourceMatchesFormat(resource: string, format: string): boolean {
  return intersects(resourceTokens(resource), formatTokens(format));
}
