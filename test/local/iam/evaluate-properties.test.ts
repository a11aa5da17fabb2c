import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatches } from '../../../local/glob.ts';
import { evaluate, evaluateResourcePolicy } from '../../../local/iam/evaluate.ts';
import type { PolicyDocument, PolicyStatement } from '../../../local/iam/types.ts';
import { ACCOUNT, allow, deny, doc, req } from './policy-fixtures.ts';

// Arbitraries: actions, ARNs and statements over a small alphabet so that matches actually happen.
const word = fc.stringMatching(/^[a-cA-C]{1,4}$/);
const action = fc.tuple(fc.constantFrom('iot', 'dynamodb', 'states'), word).map(([s, a]) => `${s}:${a}`);
const arn = fc
  .tuple(fc.constantFrom('iot', 'dynamodb'), word)
  .map(([s, id]) => `arn:aws:${s}:eu-west-1:${ACCOUNT}:thing/${id}`);
const wildcard = (s: fc.Arbitrary<string>) =>
  fc.tuple(s, fc.array(fc.nat(), { maxLength: 2 }), fc.constantFrom('*', '?')).map(([text, cuts, w]) => {
    let out = text;
    for (const cut of cuts) {
      const i = cut % (out.length + 1);
      out = out.slice(0, i) + w + out.slice(i + 1);
    }
    return out;
  });
const statement: fc.Arbitrary<PolicyStatement> = fc.record({
  Effect: fc.constantFrom('Allow' as const, 'Deny' as const),
  Action: fc.oneof(wildcard(action), fc.constant('*')),
  Resource: fc.oneof(wildcard(arn), fc.constant('*')),
});
const policies = fc.array(
  fc.array(statement, { maxLength: 4 }).map((s) => doc(...s)),
  { maxLength: 3 },
);
const request = fc.tuple(action, arn).map(([a, r]) => req(a, r));

describe('IAM evaluation properties', () => {
  it('lets an explicit Deny win over any Allow', () => {
    fc.assert(
      fc.property(policies, request, (ps, r) => {
        // Act
        const decision = evaluate([...ps, doc(deny(r.action, r.resource))], r);

        // Assess
        expect(decision).toBe('ExplicitDeny');
      }),
    );
  });

  it('never turns an Allow into a denial by adding an Allow statement', () => {
    fc.assert(
      fc.property(policies, statement, request, (ps, extra, r) => {
        // Prepare
        const before = evaluate(ps, r);

        // Act
        const after = evaluate([...ps, doc({ ...extra, Effect: 'Allow' })], r);

        // Assess
        if (before === 'Allow') expect(after).toBe('Allow');
        if (before === 'ExplicitDeny') expect(after).toBe('ExplicitDeny');
      }),
    );
  });

  it('allows everything not denied with Action and Resource *', () => {
    fc.assert(
      fc.property(policies, request, (ps, r) => {
        // Act
        const decision = evaluate([...ps, doc(allow('*'))], r);

        // Assess
        expect(decision).toBe(evaluate(ps, r) === 'ExplicitDeny' ? 'ExplicitDeny' : 'Allow');
      }),
    );
  });

  it('makes NotAction the complement of Action for a single literal', () => {
    fc.assert(
      fc.property(action, action, arn, (literal, asked, resource) => {
        // Act
        const viaAction = evaluate([doc(allow(literal))], req(asked, resource));
        const viaNotAction = evaluate(
          [doc({ Effect: 'Allow', NotAction: literal, Resource: '*' })],
          req(asked, resource),
        );

        // Assess
        expect(viaAction === 'Allow').toBe(viaNotAction !== 'Allow');
      }),
    );
  });

  it('matches wildcards as a reference regex does (actions ignoring case)', () => {
    fc.assert(
      fc.property(wildcard(word), word, fc.boolean(), (pattern, value, ignoreCase) => {
        // Prepare
        const source = `^${pattern.replace(/[*?]/g, (w) => (w === '*' ? '.*' : '.'))}$`;
        const reference = new RegExp(source, ignoreCase ? 'is' : 's');

        // Act / Assess
        expect(globMatches(pattern, value, ignoreCase)).toBe(reference.test(value));
      }),
    );
  });

  it('matches ARN patterns as a reference regex does (a segment-ending * spans colons)', () => {
    const part = fc.stringMatching(/^[a-c:]{0,5}$/);
    fc.assert(
      fc.property(wildcard(part), part, (pattern, value) => {
        // Prepare
        const source = pattern.replace(/[*?]/g, (w, i: number) => {
          if (w === '?') return '[^:]';
          const next = pattern[i + 1];
          return next === undefined || next === ':' ? '.*' : '[^:]*';
        });
        const reference = new RegExp(`^${source}$`, 's');

        // Act / Assess
        expect(evaluate([doc(allow('*', pattern))], req('x:Y', value))).toBe(
          reference.test(value) ? 'Allow' : 'ImplicitDeny',
        );
      }),
    );
  });

  it('never throws, whatever a policy document holds', () => {
    const junk = fc.record(
      {
        Effect: fc.oneof(fc.constantFrom('Allow', 'Deny'), fc.anything()),
        Action: fc.oneof(fc.constant('*'), fc.anything()),
        NotAction: fc.anything(),
        Resource: fc.oneof(fc.constant('*'), fc.anything()),
        NotResource: fc.anything(),
        Principal: fc.anything(),
        Condition: fc.oneof(
          fc.dictionary(fc.string(), fc.dictionary(fc.string(), fc.anything())),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(junk, fc.anything()), { maxLength: 4 }), request, (statements, r) => {
        // Prepare
        const ps = [{ Version: '2012-10-17', Statement: statements }] as unknown as PolicyDocument[];

        // Act / Assess
        expect(() => evaluate(ps, r)).not.toThrow();
        expect(() =>
          evaluateResourcePolicy(ps[0] as PolicyDocument, { ...r, principalArn: 'arn:aws:iam::1:root' }),
        ).not.toThrow();
      }),
    );
  });
});
