import type { Position } from './ast.ts';
import { SqlSyntaxError } from './errors.ts';

export type TokenType = 'identifier' | 'keyword' | 'string' | 'number' | 'symbol' | 'end';

export interface Token {
  readonly type: TokenType;
  /** Keywords are upper-cased; identifiers and strings keep their text; symbols are the operator. */
  readonly value: string;
  /** The text as written, for error messages. */
  readonly text: string;
  readonly at: Position;
}

const KEYWORDS = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'AS',
  'AND',
  'OR',
  'NOT',
  'IN',
  'TRUE',
  'FALSE',
  'NULL',
]);
const TWO_CHAR_SYMBOLS = new Set(['<>', '!=', '<=', '>=']);
const ONE_CHAR_SYMBOLS = new Set(['*', ',', '.', '(', ')', '[', ']', '=', '<', '>', '+', '-', '/', '%']);

/** Splits an IoT SQL statement into tokens, tracking line and column for error messages. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  let line = 1;
  let column = 1;

  const advance = (count: number): void => {
    for (let i = 0; i < count; i++) {
      if (sql[index] === '\n') {
        line++;
        column = 1;
      } else {
        column++;
      }
      index++;
    }
  };

  while (index < sql.length) {
    const char = sql[index] ?? '';
    if (/\s/.test(char)) {
      advance(1);
      continue;
    }
    const at: Position = { line, column };
    if (char === "'") {
      // A quote inside a string is written twice, as in ANSI SQL.
      let value = '';
      let end = index + 1;
      for (;;) {
        if (end >= sql.length) {
          throw new SqlSyntaxError('unterminated string literal', at, sql.slice(index, index + 20));
        }
        const c = sql[end];
        if (c === "'") {
          if (sql[end + 1] === "'") {
            value += "'";
            end += 2;
            continue;
          }
          break;
        }
        value += c;
        end++;
      }
      const text = sql.slice(index, end + 1);
      tokens.push({ type: 'string', value, text, at });
      advance(text.length);
      continue;
    }
    const number = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(sql.slice(index));
    if (number) {
      tokens.push({ type: 'number', value: number[0], text: number[0], at });
      advance(number[0].length);
      continue;
    }
    const word = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(sql.slice(index));
    if (word) {
      const upper = word[0].toUpperCase();
      const type: TokenType = KEYWORDS.has(upper) ? 'keyword' : 'identifier';
      tokens.push({ type, value: type === 'keyword' ? upper : word[0], text: word[0], at });
      advance(word[0].length);
      continue;
    }
    const two = sql.slice(index, index + 2);
    if (TWO_CHAR_SYMBOLS.has(two)) {
      tokens.push({ type: 'symbol', value: two === '!=' ? '<>' : two, text: two, at });
      advance(2);
      continue;
    }
    if (ONE_CHAR_SYMBOLS.has(char)) {
      tokens.push({ type: 'symbol', value: char, text: char, at });
      advance(1);
      continue;
    }
    throw new SqlSyntaxError(`unexpected character '${char}'`, at, char);
  }
  tokens.push({ type: 'end', value: '', text: 'end of statement', at: { line, column } });
  return tokens;
}
