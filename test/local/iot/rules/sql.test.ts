import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SqlEvaluationError, SqlSyntaxError } from '../../../../local/iot/rules/sql/errors.ts';
import { evaluateStatement, type SqlMessage } from '../../../../local/iot/rules/sql/evaluator.ts';
import { parseSql } from '../../../../local/iot/rules/sql/parser.ts';

const REPLY_RULE =
  "SELECT *, clientid() AS clientId, principal() AS principal, topic(4) AS kind FROM 'management/topic/+/+' " +
  "WHERE topic(4) = 'csr_res' OR topic(4) = 'crt_ack' OR topic(4) = 'crt_err'";

function message(topic: string, payload: unknown, extra: Partial<SqlMessage> = {}): SqlMessage {
  return {
    topic,
    payload: Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload)),
    timestamp: Date.UTC(2026, 0, 1),
    newUuid: () => '00000000-0000-4000-8000-000000000000',
    ...extra,
  };
}

function run(sql: string, msg: SqlMessage) {
  return evaluateStatement(parseSql(sql), msg);
}

describe('IoT SQL evaluation', () => {
  it('fills clientId, principal and kind for a device reply and keeps the payload fields', () => {
    // Prepare
    const msg = message(
      'management/topic/thing-1/csr_res',
      { rotationId: 'r1', CSR: 'pem' },
      {
        clientId: 'thing-1',
        principal: 'abc123',
      },
    );
    // Act
    const result = run(REPLY_RULE, msg);
    // Assess
    expect(result).toEqual({
      kind: 'json',
      value: { rotationId: 'r1', CSR: 'pem', clientId: 'thing-1', principal: 'abc123', kind: 'csr_res' },
    });
  });

  it('drops messages whose topic kind the WHERE clause does not list', () => {
    expect(
      run(REPLY_RULE, message('management/topic/thing-1/csr_req', { rotationId: 'r1' })),
    ).toBeUndefined();
  });

  it.each([
    ["SELECT color FROM 't'", { color: 'red', t: 50 }, { color: 'red' }],
    ["SELECT color AS c, t AS f FROM 't'", { color: 'red', t: 50 }, { c: 'red', f: 50 }],
    ["SELECT a.b FROM 't'", { a: { b: 3 } }, { b: 3 }],
    ["SELECT a.b.c AS deep FROM 't'", { a: { b: { c: 'x' } } }, { deep: 'x' }],
    ["SELECT missing, color FROM 't'", { color: 'red' }, { color: 'red' }],
    ["SELECT list[1] AS second FROM 't'", { list: [1, 2, 3] }, { second: 2 }],
    ["SELECT 'lit' AS s, 42 AS n, true AS b, null AS z FROM 't'", {}, { s: 'lit', n: 42, b: true, z: null }],
    ["SELECT t + 1 AS next FROM 't'", { t: 1 }, { next: 2 }],
    ["SELECT topic() AS topic, topic(2) AS second, topic(9) AS none FROM 'a/#'", {}, { topic: 't' }],
    [
      "SELECT timestamp() AS ts, newuuid() AS id FROM 't'",
      {},
      { ts: Date.UTC(2026, 0, 1), id: '00000000-0000-4000-8000-000000000000' },
    ],
    ["SELECT clientid() AS c FROM 't'", {}, { c: 'n/a' }],
  ])('%s', (sql, payload, expected) => {
    expect(run(sql, message('t', payload))).toEqual({ kind: 'json', value: expected });
  });

  it.each([
    ['WHERE t > 50', { t: 51 }, true],
    ['WHERE t > 50', { t: 50 }, false],
    ['WHERE t >= 50 AND t <= 60', { t: 60 }, true],
    ['WHERE t < 50 OR t > 60', { t: 55 }, false],
    ['WHERE NOT (t = 1)', { t: 2 }, true],
    ['WHERE t <> 1', { t: 1 }, false],
    ['WHERE t != 1', { t: 2 }, true],
    ["WHERE t = '5'", { t: 5 }, true],
    ["WHERE s = 'a'", { s: 'a' }, true],
    ['WHERE s = 1', { s: 'a' }, false],
    ['WHERE missing = 1', {}, false],
    ['WHERE NOT missing = 1', {}, false],
    ["WHERE s IN ('a', 'b')", { s: 'b' }, true],
    ["WHERE s NOT IN ('a', 'b')", { s: 'c' }, true],
    ['WHERE flag', { flag: 'TRUE' }, true],
    ['WHERE a.b = 2', { a: { b: 2 } }, true],
  ])('%s on %j is %s', (where, payload, fires) => {
    const result = run(`SELECT * FROM 't' ${where}`, message('t', payload));
    expect(result !== undefined).toBe(fires);
  });

  it('passes a non-JSON payload through untouched for SELECT *', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x01]);
    expect(run("SELECT * FROM 't'", message('t', bytes))).toEqual({ kind: 'binary', payload: bytes });
  });

  it('refuses to add fields to a non-JSON payload', () => {
    expect(() => run("SELECT *, clientid() AS c FROM 't'", message('t', Buffer.from('not json')))).toThrow(
      SqlEvaluationError,
    );
  });

  it('compares integers exactly as JavaScript does (property)', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer(),
        fc.constantFrom('<', '<=', '>', '>=', '=', '<>'),
        (a, b, op) => {
          const fires = run(`SELECT * FROM 't' WHERE a ${op} b`, message('t', { a, b })) !== undefined;
          const expected = {
            '<': a < b,
            '<=': a <= b,
            '>': a > b,
            '>=': a >= b,
            '=': a === b,
            '<>': a !== b,
          }[op];
          expect(fires).toBe(expected);
        },
      ),
    );
  });

  it('keeps a field named __proto__ as a field, in SELECT * and inside a selected object', () => {
    // Prepare: JSON.parse makes `__proto__` an own key, as a device's payload would.
    const payload = JSON.parse('{"a":{"__proto__":1},"__proto__":2}');

    // Act
    const star = run(`SELECT * FROM 't'`, message('t', payload));
    const field = run(`SELECT a FROM 't'`, message('t', payload));

    // Assess
    expect(JSON.stringify(star)).toBe('{"kind":"json","value":{"a":{"__proto__":1},"__proto__":2}}');
    expect(JSON.stringify(field)).toBe('{"kind":"json","value":{"a":{"__proto__":1}}}');
  });

  it('selects any field of any JSON object under its own name (property)', () => {
    const key = fc
      .stringMatching(/^[a-z][a-zA-Z0-9_]{0,10}$/)
      .filter(
        (k) =>
          !['select', 'from', 'where', 'as', 'and', 'or', 'not', 'in', 'true', 'false', 'null'].includes(k),
      );
    fc.assert(
      fc.property(key, fc.jsonValue(), (k, value) => {
        const result = run(`SELECT ${k} FROM 't'`, message('t', { [k]: value }));
        const normalised = JSON.parse(JSON.stringify({ [k]: value }));
        expect(result).toEqual({ kind: 'json', value: normalised });
      }),
    );
  });
});

describe('IoT SQL parser errors', () => {
  it.each([
    ["SELECT * FORM 't'", 1, 10, 'FORM'],
    ['SELECT * FROM t', 1, 15, 't'],
    ["SELECT * FROM 'a/#/b'", 1, 15, "'a/#/b'"],
    ["SELECT * FROM 'x'\nWHERE a = = 1", 2, 11, '='],
    ["SELECT nosuch() FROM 'x'", 1, 8, 'nosuch'],
    ["SELECT topic(1, 2) FROM 'x'", 1, 8, 'topic'],
    ["SELECT * FROM 'x' WHERE (a = 1", 1, 31, 'end of statement'],
    ["SELECT 'open FROM 'x'", 1, 21, "'"],
    ['SELECT # FROM x', 1, 8, '#'],
  ])('%j points at line %i column %i', (sql, line, column, token) => {
    let caught: unknown;
    try {
      parseSql(sql);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SqlSyntaxError);
    if (!(caught instanceof SqlSyntaxError)) return;
    expect(caught.at).toEqual({ line, column });
    expect(caught.token).toBe(token);
    expect(caught.message).toContain(`Line ${line}:${column}`);
  });

  it('either parses or throws a SqlSyntaxError inside the text for any input (property)', () => {
    const sqlish = fc.array(
      fc.constantFrom(
        'SELECT',
        'FROM',
        'WHERE',
        '*',
        ',',
        "'a/+'",
        'a',
        '.',
        'b',
        '(',
        ')',
        '=',
        'AND',
        'OR',
        'NOT',
        '1',
        "'",
        '\n',
        'topic',
        'IN',
      ),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          sqlish.map((parts) => parts.join(' ')),
        ),
        (sql) => {
          try {
            parseSql(sql);
          } catch (error) {
            expect(error).toBeInstanceOf(SqlSyntaxError);
            if (!(error instanceof SqlSyntaxError)) return;
            const lines = sql.split('\n');
            expect(error.at.line).toBeGreaterThanOrEqual(1);
            expect(error.at.line).toBeLessThanOrEqual(lines.length);
            expect(error.at.column).toBeLessThanOrEqual((lines[error.at.line - 1]?.length ?? 0) + 1);
          }
        },
      ),
    );
  });
});
