import { validateTopicFilter } from '../topic-filter.ts';
import {
  type BinaryOperator,
  type Expression,
  type PathSegment,
  type SelectItem,
  type SelectStatement,
  SQL_FUNCTIONS,
  type SqlFunctionName,
} from './ast.ts';
import { SqlSyntaxError } from './errors.ts';
import { type Token, tokenize } from './lexer.ts';

const COMPARISONS = new Set(['=', '<>', '<', '<=', '>', '>=']);

/** How many arguments each function takes: [min, max]. */
const ARITY: Record<SqlFunctionName, readonly [number, number]> = {
  clientid: [0, 0],
  principal: [0, 0],
  topic: [0, 1],
  timestamp: [0, 0],
  newuuid: [0, 0],
};

function isFunctionName(name: string): name is SqlFunctionName {
  return (SQL_FUNCTIONS as readonly string[]).includes(name);
}

/**
 * Parses an AWS IoT SQL statement (version 2016-03-23):
 * `SELECT <items> FROM '<topic filter>' [WHERE <condition>]`. Throws `SqlSyntaxError` naming the
 * line, column and token where the statement stops making sense.
 */
export function parseSql(sql: string): SelectStatement {
  return new Parser(tokenize(sql)).statement();
}

/** Parses one expression alone, as substitution templates (`${topic(3)}`) hold. */
export function parseExpression(text: string): Expression {
  const parser = new Parser(tokenize(text));
  const expression = parser.expression();
  parser.expectEnd();
  return expression;
}

class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  statement(): SelectStatement {
    this.expectKeyword('SELECT');
    const select = this.selectList();
    this.expectKeyword('FROM');
    const from = this.next();
    if (from.type !== 'string') {
      throw this.error(`expected a quoted topic filter after FROM, found ${describe(from)}`, from);
    }
    const problem = validateTopicFilter(from.value);
    if (problem) throw this.error(`invalid topic filter: ${problem}`, from);
    let where: Expression | undefined;
    if (this.peekKeyword('WHERE')) {
      this.next();
      where = this.expression();
    }
    this.expectEnd();
    return { select, topicFilter: from.value, ...(where ? { where } : {}) };
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.type !== 'end') throw this.error(`unexpected ${describe(token)}`, token);
  }

  private selectList(): SelectItem[] {
    const items: SelectItem[] = [this.selectItem()];
    while (this.peekSymbol(',')) {
      this.next();
      items.push(this.selectItem());
    }
    return items;
  }

  private selectItem(): SelectItem {
    const token = this.peek();
    if (token.type === 'symbol' && token.value === '*') {
      this.next();
      return { kind: 'star', at: token.at };
    }
    const expression = this.expression();
    if (this.peekKeyword('AS')) {
      this.next();
      const alias = this.next();
      if (alias.type !== 'identifier') {
        throw this.error(`expected a name after AS, found ${describe(alias)}`, alias);
      }
      return { kind: 'expression', expression, alias: alias.value };
    }
    return { kind: 'expression', expression };
  }

  expression(): Expression {
    return this.or();
  }

  private or(): Expression {
    let left = this.and();
    while (this.peekKeyword('OR')) {
      const op = this.next();
      left = { kind: 'binary', operator: 'OR', left, right: this.and(), at: op.at };
    }
    return left;
  }

  private and(): Expression {
    let left = this.not();
    while (this.peekKeyword('AND')) {
      const op = this.next();
      left = { kind: 'binary', operator: 'AND', left, right: this.not(), at: op.at };
    }
    return left;
  }

  private not(): Expression {
    if (this.peekKeyword('NOT')) {
      const op = this.next();
      return { kind: 'not', operand: this.not(), at: op.at };
    }
    return this.comparison();
  }

  private comparison(): Expression {
    const left = this.additive();
    const token = this.peek();
    if (token.type === 'symbol' && COMPARISONS.has(token.value)) {
      this.next();
      const operator = token.value as BinaryOperator;
      return { kind: 'binary', operator, left, right: this.additive(), at: token.at };
    }
    let negated = false;
    if (this.peekKeyword('NOT') && this.tokens[this.position + 1]?.value === 'IN') {
      this.next();
      negated = true;
    }
    if (this.peekKeyword('IN')) {
      const op = this.next();
      this.expectSymbol('(');
      const list: Expression[] = [this.additive()];
      while (this.peekSymbol(',')) {
        this.next();
        list.push(this.additive());
      }
      this.expectSymbol(')');
      return { kind: 'in', operand: left, list, negated, at: op.at };
    }
    return left;
  }

  private additive(): Expression {
    let left = this.multiplicative();
    for (;;) {
      const token = this.peek();
      if (token.type !== 'symbol' || (token.value !== '+' && token.value !== '-')) return left;
      this.next();
      left = { kind: 'binary', operator: token.value, left, right: this.multiplicative(), at: token.at };
    }
  }

  private multiplicative(): Expression {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      if (token.type !== 'symbol' || !['*', '/', '%'].includes(token.value)) return left;
      this.next();
      const operator = token.value === '*' ? '*' : token.value === '/' ? '/' : '%';
      left = { kind: 'binary', operator, left, right: this.unary(), at: token.at };
    }
  }

  private unary(): Expression {
    const token = this.peek();
    if (token.type === 'symbol' && token.value === '-') {
      this.next();
      return { kind: 'negate', operand: this.unary(), at: token.at };
    }
    return this.primary();
  }

  private primary(): Expression {
    const token = this.next();
    switch (token.type) {
      case 'string':
        return { kind: 'literal', value: token.value, at: token.at };
      case 'number':
        return { kind: 'literal', value: Number(token.value), at: token.at };
      case 'keyword':
        if (token.value === 'TRUE') return { kind: 'literal', value: true, at: token.at };
        if (token.value === 'FALSE') return { kind: 'literal', value: false, at: token.at };
        if (token.value === 'NULL') return { kind: 'literal', value: null, at: token.at };
        throw this.error(`expected an expression, found ${describe(token)}`, token);
      case 'symbol':
        if (token.value === '(') {
          const inner = this.expression();
          this.expectSymbol(')');
          return inner;
        }
        throw this.error(`expected an expression, found ${describe(token)}`, token);
      case 'identifier':
        if (this.peekSymbol('(')) return this.call(token);
        return this.path(token);
      case 'end':
        throw this.error('expected an expression, found the end of the statement', token);
    }
  }

  private call(nameToken: Token): Expression {
    const name = nameToken.value.toLowerCase();
    if (!isFunctionName(name)) {
      throw this.error(`unknown function '${nameToken.value}'`, nameToken);
    }
    this.expectSymbol('(');
    const args: Expression[] = [];
    if (!this.peekSymbol(')')) {
      args.push(this.expression());
      while (this.peekSymbol(',')) {
        this.next();
        args.push(this.expression());
      }
    }
    this.expectSymbol(')');
    const [min, max] = ARITY[name];
    if (args.length < min || args.length > max) {
      const expected = min === max ? `${min}` : `${min} to ${max}`;
      throw this.error(`${name}() takes ${expected} argument(s), got ${args.length}`, nameToken);
    }
    return { kind: 'call', name, args, at: nameToken.at };
  }

  private path(first: Token): Expression {
    const segments: PathSegment[] = [{ field: first.value }];
    for (;;) {
      if (this.peekSymbol('.')) {
        this.next();
        const field = this.next();
        if (field.type !== 'identifier' && field.type !== 'keyword') {
          throw this.error(`expected a field name after '.', found ${describe(field)}`, field);
        }
        segments.push({ field: field.text });
        continue;
      }
      if (this.peekSymbol('[')) {
        this.next();
        const index = this.next();
        if (index.type !== 'number' || !/^\d+$/.test(index.value)) {
          throw this.error(`expected an array index, found ${describe(index)}`, index);
        }
        this.expectSymbol(']');
        segments.push({ index: Number(index.value) });
        continue;
      }
      return { kind: 'path', segments, at: first.at };
    }
  }

  private peek(): Token {
    // The lexer always ends the list with an `end` token, and `next` never moves past it.
    const token = this.tokens[this.position] ?? this.tokens[this.tokens.length - 1];
    if (!token) throw new Error('empty token list');
    return token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.position++;
    return token;
  }

  private peekKeyword(keyword: string): boolean {
    const token = this.peek();
    return token.type === 'keyword' && token.value === keyword;
  }

  private peekSymbol(symbol: string): boolean {
    const token = this.peek();
    return token.type === 'symbol' && token.value === symbol;
  }

  private expectKeyword(keyword: string): void {
    const token = this.next();
    if (token.type !== 'keyword' || token.value !== keyword) {
      throw this.error(`expected ${keyword}, found ${describe(token)}`, token);
    }
  }

  private expectSymbol(symbol: string): void {
    const token = this.next();
    if (token.type !== 'symbol' || token.value !== symbol) {
      throw this.error(`expected '${symbol}', found ${describe(token)}`, token);
    }
  }

  private error(reason: string, token: Token): SqlSyntaxError {
    return new SqlSyntaxError(reason, token.at, token.text);
  }
}

function describe(token: Token): string {
  return token.type === 'end' ? 'the end of the statement' : `'${token.text}'`;
}
