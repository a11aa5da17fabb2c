import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Expression } from '../../../../local/iot/rules/sql/ast.ts';
import { evaluateStatement } from '../../../../local/iot/rules/sql/evaluator.ts';
import { parseExpression, parseSql } from '../../../../local/iot/rules/sql/parser.ts';

/** Prints an expression with every operation parenthesised, so the printed text has one reading. */
function print(e: Expression): string {
  switch (e.kind) {
    case 'literal':
      return typeof e.value === 'string' ? `'${e.value.replace(/'/g, "''")}'` : String(e.value).toUpperCase();
    case 'path':
      return e.segments
        .map((s) => ('field' in s ? s.field : `[${s.index}]`))
        .join('.')
        .replace(/\.\[/g, '[');
    case 'call':
      return `${e.name}(${e.args.map(print).join(', ')})`;
    case 'not':
      return `(NOT ${print(e.operand)})`;
    case 'negate':
      return `(-${print(e.operand)})`;
    case 'in':
      return `(${print(e.operand)}${e.negated ? ' NOT' : ''} IN (${e.list.map(print).join(', ')}))`;
    case 'binary':
      return `(${print(e.left)} ${e.operator} ${print(e.right)})`;
  }
}

/** The tree without source positions, for comparing two parses. */
function shape(e: Expression): unknown {
  return JSON.parse(JSON.stringify(e, (key, value) => (key === 'at' ? undefined : value)));
}

const at = { line: 1, column: 1 };
const leaf: fc.Arbitrary<Expression> = fc.oneof(
  fc.nat({ max: 1000 }).map((value): Expression => ({ kind: 'literal', value, at })),
  fc.stringMatching(/^[a-z ']{0,6}$/).map((value): Expression => ({ kind: 'literal', value, at })),
  fc.boolean().map((value): Expression => ({ kind: 'literal', value, at })),
  fc.constantFrom('a', 'b', 's').map((field): Expression => ({ kind: 'path', segments: [{ field }], at })),
  fc.constant<Expression>({ kind: 'path', segments: [{ field: 'n' }, { field: 'x' }], at }),
  fc.constant<Expression>({ kind: 'call', name: 'topic', args: [{ kind: 'literal', value: 2, at }], at }),
);
const expression = fc.letrec<{ e: Expression }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc
      .tuple(tie('e'), fc.constantFrom('=', '<>', '<', '<=', '>', '>=', '+', '-', '*', 'AND', 'OR'), tie('e'))
      .map(([left, operator, right]): Expression => ({ kind: 'binary', operator, left, right, at })),
    tie('e').map((operand): Expression => ({ kind: 'not', operand, at })),
    fc
      .tuple(tie('e'), fc.array(leaf, { minLength: 1, maxLength: 3 }), fc.boolean())
      .map(([operand, list, negated]): Expression => ({ kind: 'in', operand, list, negated, at })),
  ),
})).e;

describe('IoT SQL printing and parsing', () => {
  it('parses a printed expression back to the same tree (property)', () => {
    fc.assert(
      fc.property(expression, (e) => {
        expect(shape(parseExpression(print(e)))).toEqual(shape(e));
      }),
    );
  });

  it('evaluates a printed WHERE clause the same way whatever the whitespace and keyword case (property)', () => {
    fc.assert(
      fc.property(expression, fc.integer(), fc.integer(), (e, a, b) => {
        const text = print(e);
        const payload = Buffer.from(JSON.stringify({ a, b, s: 'x', n: { x: a } }));
        const message = { topic: 't/u', payload, timestamp: 0, newUuid: () => 'u' };
        const plain = evaluateStatement(parseSql(`SELECT * FROM 't/+' WHERE ${text}`), message);
        const spaced = evaluateStatement(
          parseSql(
            `select *\n  from 't/+'\n  where ${text.replace(/\b(AND|OR|NOT|IN|TRUE|FALSE)\b/g, (k) => k.toLowerCase())}`,
          ),
          message,
        );
        expect(spaced).toEqual(plain);
      }),
    );
  });

  it.each([
    ['1 + 2 * 3 = 7', true],
    ['NOT 1 = 2 AND 2 = 2', true],
    ['1 = 1 OR 1 = 2 AND 1 = 2', true],
    ['(1 = 1 OR 1 = 2) AND 1 = 2', false],
    ['10 - 2 - 3 = 5', true],
    ['-a = 0 - a', true],
  ])('applies operator precedence: %s is %s', (where, fires) => {
    const message = { topic: 't', payload: Buffer.from('{"a":4}'), timestamp: 0, newUuid: () => 'u' };
    expect(evaluateStatement(parseSql(`SELECT * FROM 't' WHERE ${where}`), message) !== undefined).toBe(
      fires,
    );
  });
});
