import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cachedParse, dynaliteParsers } from '../../../local/dynamodb/expression-cache.ts';

const parsers = dynaliteParsers();

/** What dynalite's validation hands a parser (its reserved-word check and comparison included). */
function contextOf(names: Record<string, string>, values: Record<string, unknown>) {
  return {
    attrNames: names,
    attrVals: values,
    unusedAttrNames: Object.fromEntries(Object.keys(names).map((k) => [k, true])),
    unusedAttrVals: Object.fromEntries(Object.keys(values).map((k) => [k, true])),
    isReserved: (word: string) => ['STATUS', 'NAME', 'DATA'].includes(word.toUpperCase()),
    compare: () => false,
  };
}

/** Expressions of the shapes recert and its CLI send, with the names and values they use. */
const CASES = [
  {
    parser: 'condition',
    text: '#status = :inProgress AND rotationId = :rid AND #phase = :phase AND attribute_exists(taskToken) AND (attribute_not_exists(acceptedReply) OR acceptedReply <> :kind)',
    names: { '#status': 'status', '#phase': 'phase' },
    values: [':inProgress', ':rid', ':phase', ':kind'],
  },
  {
    parser: 'condition',
    text: 'attribute_not_exists(thingName) OR #status <> :inProgress OR executionArn = :exec',
    names: { '#status': 'status' },
    values: [':inProgress', ':exec'],
  },
  {
    parser: 'condition',
    text: 'size(policies) > :n AND begins_with(campaign, :prefix) AND #phase IN (:a, :b, :c) AND NOT contains(revoked, :id)',
    names: { '#phase': 'phase' },
    values: [':n', ':prefix', ':a', ':b', ':c', ':id'],
  },
  {
    parser: 'update',
    text: 'SET #phase = :phase, rotationId = :rid, taskToken = :token, updatedAt = :now, attempt = if_not_exists(attempt, :zero) + :one, ids = list_append(if_not_exists(ids, :empty), :more) REMOVE acceptedReply, csrRequestUnsent',
    names: { '#phase': 'phase' },
    values: [':phase', ':rid', ':token', ':now', ':zero', ':one', ':empty', ':more'],
  },
  {
    parser: 'update',
    text: 'ADD succeeded :one, inFlight :minus SET updatedAt = :now',
    names: {},
    values: [':one', ':minus', ':now'],
  },
  {
    parser: 'projection',
    text: 'thingName, #status, copiedPolicies.policyNames[0]',
    names: { '#status': 'status' },
    values: [],
  },
] as const;

const attributeValue = fc.oneof(
  fc.string({ maxLength: 12 }).map((S) => ({ S })),
  fc.integer({ min: -1000, max: 1000 }).map((n) => ({ N: String(n) })),
  fc.boolean().map((BOOL) => ({ BOOL })),
  fc
    .array(
      fc.string({ maxLength: 4 }).map((S) => ({ S })),
      { maxLength: 3 },
    )
    .map((L) => ({ L })),
);

describe('the expression parse cache in front of dynalite', () => {
  it('returns what the parser returns, and leaves the same names and values unused, whatever the values', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CASES),
        fc.oneof(
          // Mixed types: mostly misses, each parsed as a first request.
          fc.array(fc.array(attributeValue, { minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
          // The same types, other contents: every request after the first is a hit.
          fc.array(
            fc.array(
              fc.string({ maxLength: 12 }).map((S) => ({ S })),
              { minLength: 8, maxLength: 8 },
            ),
            { minLength: 2, maxLength: 4 },
          ),
        ),
        fc.boolean(),
        (c, requests, extraName) => {
          // Prepare: one cache; several requests with the same expression and other values.
          const original = parsers[c.parser];
          const cached = cachedParse(c.parser, original);
          const names: Record<string, string> = extraName ? { ...c.names, '#unused': 'x' } : { ...c.names };
          for (const row of requests) {
            const values = Object.fromEntries(c.values.map((name, i) => [name, row[i]]));
            const expectedContext = contextOf(names, structuredClone(values));
            const actualContext = contextOf(names, structuredClone(values));
            // Act
            const expected = ((): unknown => {
              try {
                return original(c.text, { context: expectedContext });
              } catch (error) {
                return String(error);
              }
            })();
            const actual = ((): unknown => {
              try {
                return cached(c.text, { context: actualContext });
              } catch (error) {
                return String(error);
              }
            })();
            // Assess
            expect(actual).toEqual(expected);
            expect(actualContext.unusedAttrNames).toEqual(expectedContext.unusedAttrNames);
            expect(actualContext.unusedAttrVals).toEqual(expectedContext.unusedAttrVals);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("puts this request's value objects in the tree, never the first request's", () => {
    // Prepare
    const cached = cachedParse('update', parsers.update);
    const first = { ':v': { S: 'first' } };
    const second = { ':v': { S: 'second' } };
    cached('SET a = :v', { context: contextOf({}, first) });
    // Act
    const tree = cached('SET a = :v', { context: contextOf({}, second) });
    // Assess
    expect(JSON.stringify(tree)).toContain('second');
    expect(JSON.stringify(tree)).not.toContain('first');
  });

  it('parses again when a value changes type, so type errors are still reported', () => {
    // Prepare
    const cached = cachedParse('update', parsers.update);
    cached('ADD counter :n', { context: contextOf({}, { ':n': { N: '1' } }) });
    // Act
    const wrongType = cached('ADD counter :n', { context: contextOf({}, { ':n': { BOOL: true } }) });
    // Assess
    expect(wrongType).toMatch(/Incorrect operand type/);
  });
});
