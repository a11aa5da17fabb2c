import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidEventPatternError,
  matchesPattern,
  parseEventPattern,
} from '../../../local/events/event-pattern.ts';

const matches = (pattern: unknown, event: unknown) =>
  matchesPattern(parseEventPattern(JSON.stringify(pattern)), event);

const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));

describe('event pattern matching', () => {
  it.each([
    [{ source: ['aws.states'] }, { source: 'aws.states' }, true],
    [{ source: ['aws.states'] }, { source: 'aws.iot' }, false],
    [{ source: ['aws.states'] }, {}, false],
    [{ detail: { status: ['FAILED', 'ABORTED'] } }, { detail: { status: 'ABORTED' } }, true],
    [{ detail: { status: ['FAILED'] } }, { detail: 'FAILED' }, false],
    [{ resources: ['arn:x'] }, { resources: ['arn:y', 'arn:x'] }, true],
    [{ detail: { n: [{ numeric: ['>', 0, '<=', 5] }] } }, { detail: { n: 5 } }, true],
    [{ detail: { n: [{ numeric: ['>', 0, '<=', 5] }] } }, { detail: { n: 0 } }, false],
    [{ detail: { n: [{ numeric: ['=', 5] }] } }, { detail: { n: '5' } }, false],
    [{ a: [{ prefix: 'rot-' }] }, { a: 'rot-1' }, true],
    [{ a: [{ suffix: '.pem' }] }, { a: 'x.crt' }, false],
    [{ a: [{ 'equals-ignore-case': 'FaIlEd' }] }, { a: 'failed' }, true],
    [{ a: [{ 'anything-but': ['x', 'y'] }] }, { a: 'z' }, true],
    [{ a: [{ 'anything-but': { prefix: 'tmp' } }] }, { a: 'tmp1' }, false],
    [{ a: [{ 'anything-but': 'x' }] }, {}, false],
    [{ a: [{ exists: false }] }, {}, true],
    [{ a: [{ exists: true }] }, { a: null }, true],
    [{ a: [null] }, { a: null }, true],
    [{ a: [1] }, { a: 1.0 }, true],
    [{ $or: [{ a: ['1'] }, { b: ['2'] }] }, { b: '2' }, true],
    [{ $or: [{ a: ['1'] }, { b: ['2'] }] }, { c: '3' }, false],
  ])('%j against %j is %s', (pattern, event, expected) => {
    expect(matches(pattern, event)).toBe(expected);
  });

  it.each([
    ['{}', 'empty objects are not allowed'],
    ['{"a":"x"}', 'must be in an array'],
    ['{"a":[{"numeric":[">"]}]}', 'numeric'],
    ['{"a":[{"wat":1}]}', "unknown matcher 'wat'"],
    ['not json', 'not valid JSON'],
    ['[1]', 'must be a JSON object'],
  ])('refuses %s', (text, message) => {
    expect(() => parseEventPattern(text)).toThrow(InvalidEventPatternError);
    expect(() => parseEventPattern(text)).toThrow(message);
  });

  it('a field matches a pattern listing its value, and anything-but of that value does not (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 6 }),
        scalar,
        fc.array(scalar, { maxLength: 3 }),
        (key, value, others) => {
          const event = { [key]: value, detail: { nested: value } };
          expect(matches({ [key]: [...others, value] }, event)).toBe(true);
          expect(matches({ detail: { nested: [value] } }, event)).toBe(true);
          expect(matches({ [key]: [{ 'anything-but': [value] }] }, event)).toBe(false);
          const listed = others.some((o) => o === value);
          expect(matches({ [key]: others.length > 0 ? others : [{ exists: false }] }, event)).toBe(listed);
        },
      ),
    );
  });

  it('numeric ranges agree with plain comparisons (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        fc.integer(),
        (x, a, b) => {
          const lo = Math.min(a, b);
          const hi = Math.max(a, b);
          expect(matches({ n: [{ numeric: ['>=', lo, '<', hi] }] }, { n: x })).toBe(x >= lo && x < hi);
        },
      ),
    );
  });

  it('prefix and suffix agree with startsWith and endsWith (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 6 }),
        fc.string({ maxLength: 6 }),
        fc.string({ maxLength: 6 }),
        (p, s, v) => {
          expect(matches({ v: [{ prefix: p }] }, { v: p + v })).toBe(true);
          expect(matches({ v: [{ suffix: s }] }, { v: v + s })).toBe(true);
          expect(matches({ v: [{ prefix: p }] }, { v })).toBe(v.startsWith(p));
        },
      ),
    );
  });
});
