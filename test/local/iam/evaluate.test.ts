import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, evaluateResourcePolicy } from '../../../local/iam/evaluate.ts';
import { globMatches } from '../../../local/iam/pattern.ts';
import type {
  AuthorizationRequest,
  PolicyDocument,
  PolicyStatement,
  Principal,
  RequestContext,
} from '../../../local/iam/types.ts';

const ACCOUNT = '111122223333';
const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const req = (action: string, resource: string, context: RequestContext = {}): AuthorizationRequest => ({
  action,
  resource,
  context,
});
const allow = (Action: string | string[], Resource: string | string[] = '*'): PolicyStatement => ({
  Effect: 'Allow',
  Action,
  Resource,
});
const deny = (Action: string | string[], Resource: string | string[] = '*'): PolicyStatement => ({
  Effect: 'Deny',
  Action,
  Resource,
});
const role: Principal = {
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/rotator/s1`,
  roleArn: `arn:aws:iam::${ACCOUNT}:role/rotator`,
  policies: [],
  administrator: false,
};
/** A policy variable as IAM writes it (`$` `{key}`), built so it is not read as a template literal. */
const v = (key: string): string => ['$', '{', key, '}'].join('');
const cert = (id: string) => `arn:aws:iot:eu-west-1:${ACCOUNT}:cert/${id}`;

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
});

describe('IAM evaluation, worked cases', () => {
  it('matches actions case-insensitively and resources case-sensitively', () => {
    // Act / Assess
    expect(
      evaluate([doc(allow('IOT:describe*', cert('*')))], req('iot:DescribeCertificate', cert('a'))),
    ).toBe('Allow');
    expect(evaluate([doc(allow('iot:Describe?ertificate'))], req('iot:DescribeCertificate', '*'))).toBe(
      'Allow',
    );
    expect(evaluate([doc(allow('iot:*', cert('ABC')))], req('iot:DescribeCertificate', cert('abc')))).toBe(
      'ImplicitDeny',
    );
  });

  it('matches Resource * against the resource * but not an ARN pattern', () => {
    // Act / Assess
    expect(evaluate([doc(allow('iot:ListThings', '*'))], req('iot:ListThings', '*'))).toBe('Allow');
    expect(evaluate([doc(allow('iot:ListThings', cert('*')))], req('iot:ListThings', '*'))).toBe(
      'ImplicitDeny',
    );
    // A * that ends an ARN segment may expand across colons; one inside a segment may not.
    expect(evaluate([doc(allow('iot:*', 'arn:aws:iot:*:cert/x'))], req('iot:X', cert('x')))).toBe('Allow');
    expect(evaluate([doc(allow('iot:*', 'arn:aws:iot:*'))], req('iot:X', cert('x')))).toBe('Allow');
    expect(evaluate([doc(allow('iot:*', 'arn:aws:iot:eu-*-1:cert/x'))], req('iot:X', cert('x')))).toBe(
      'ImplicitDeny',
    );
    expect(evaluate([doc(allow('iot:*', 'arn:aws:iot:eu-?est-1:*'))], req('iot:X', cert('x')))).toBe('Allow');
    const stream = 'arn:aws:logs:r:1:log-group:g:log-stream:s';
    expect(evaluate([doc(allow('logs:*', 'arn:aws:logs:*:*:log-group:g:*'))], req('logs:P', stream))).toBe(
      'Allow',
    );
    expect(evaluate([doc(allow('logs:*', 'arn:aws:logs:*:*:log-group:g*s'))], req('logs:P', stream))).toBe(
      'ImplicitDeny',
    );
  });

  it('applies NotResource to everything but the listed resources', () => {
    // Prepare
    const ps = [
      doc(allow('*'), { Effect: 'Deny', Action: 'iot:DeleteCertificate', NotResource: cert('old-*') }),
    ];

    // Act / Assess
    expect(evaluate(ps, req('iot:DeleteCertificate', cert('old-1')))).toBe('Allow');
    expect(evaluate(ps, req('iot:DeleteCertificate', cert('new-1')))).toBe('ExplicitDeny');
  });

  it('restricts DynamoDB items with ForAllValues:StringEquals on dynamodb:LeadingKeys', () => {
    // Prepare: the session may only touch items whose partition key is its own user id.
    const ps = [
      doc({
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
        Resource: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/devices`,
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [v('aws:userid')] } },
      }),
    ];
    const table = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/devices`;
    const as = (keys: string[] | undefined) =>
      evaluate(
        ps,
        req('dynamodb:BatchGetItem', table, {
          'aws:userid': 'u1',
          ...(keys ? { 'dynamodb:LeadingKeys': keys } : {}),
        }),
      );

    // Act / Assess
    expect(as(['u1'])).toBe('Allow');
    expect(as(['u1', 'u1'])).toBe('Allow');
    expect(as(['u1', 'u2'])).toBe('ImplicitDeny');
    // ForAllValues holds for a missing or empty key (so an Allow with it is permissive: AWS warns about it).
    expect(as(undefined)).toBe('Allow');
    expect(as([])).toBe('Allow');
  });

  it('is false for ForAnyValue with a missing key, and true when one value matches', () => {
    // Prepare
    const ps = [
      doc({
        ...allow('iot:TagResource'),
        Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': 'recert:*' } },
      }),
    ];

    // Act / Assess
    expect(evaluate(ps, req('iot:TagResource', '*', { 'aws:TagKeys': ['a', 'recert:x'] }))).toBe('Allow');
    expect(evaluate(ps, req('iot:TagResource', '*', { 'aws:TagKeys': ['a'] }))).toBe('ImplicitDeny');
    expect(evaluate(ps, req('iot:TagResource', '*'))).toBe('ImplicitDeny');
  });

  it('confines a resource policy with ArnLike on aws:SourceArn', () => {
    // Prepare
    const policy = doc({
      Effect: 'Allow',
      Principal: { Service: 'iot.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: 'arn:aws:lambda:eu-west-1:111122223333:function:f',
      Condition: {
        ArnLike: { 'AWS:SourceArn': `arn:aws:iot:eu-west-1:${ACCOUNT}:rule/recert_*` },
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
      },
    });
    const invoke = (sourceArn: string, principalService = 'iot.amazonaws.com') =>
      evaluateResourcePolicy(policy, {
        ...req('lambda:InvokeFunction', 'arn:aws:lambda:eu-west-1:111122223333:function:f', {
          'aws:SourceArn': sourceArn,
          'aws:SourceAccount': ACCOUNT,
        }),
        principalService,
      });

    // Act / Assess
    expect(invoke(`arn:aws:iot:eu-west-1:${ACCOUNT}:rule/recert_csr`)).toBe('Allow');
    expect(invoke(`arn:aws:iot:eu-west-1:${ACCOUNT}:rule/other`)).toBe('ImplicitDeny');
    expect(invoke(`arn:aws:iot:eu-west-1:999999999999:rule/recert_csr`)).toBe('ImplicitDeny');
    expect(invoke(`arn:aws:iot:eu-west-1:${ACCOUNT}:rule/recert_csr`, 'sns.amazonaws.com')).toBe(
      'ImplicitDeny',
    );
  });

  it('matches resource-policy principals by role, session, account and *', () => {
    // Prepare
    const policyFor = (Principal: NonNullable<PolicyStatement['Principal']>) =>
      doc({ Effect: 'Allow', Principal, Action: 'sns:Publish', Resource: '*' });
    const publish = (principalArn: string) => ({
      ...req('sns:Publish', 'arn:aws:sns:eu-west-1:1:t'),
      principalArn,
    });

    // Act / Assess
    expect(evaluateResourcePolicy(policyFor({ AWS: role.roleArn ?? '' }), publish(role.arn))).toBe('Allow');
    expect(evaluateResourcePolicy(policyFor({ AWS: ACCOUNT }), publish(role.arn))).toBe('Allow');
    expect(
      evaluateResourcePolicy(policyFor({ AWS: `arn:aws:iam::${ACCOUNT}:root` }), publish(role.arn)),
    ).toBe('Allow');
    expect(evaluateResourcePolicy(policyFor('*'), publish(role.arn))).toBe('Allow');
    expect(
      evaluateResourcePolicy(policyFor({ AWS: 'arn:aws:iam::999999999999:root' }), publish(role.arn)),
    ).toBe('ImplicitDeny');
    expect(evaluateResourcePolicy(policyFor({ Service: 'iot.amazonaws.com' }), publish(role.arn))).toBe(
      'ImplicitDeny',
    );
  });

  it('treats a missing key as true with IfExists, and tests presence with Null', () => {
    // Prepare
    const ifExists = [
      doc({ ...allow('iot:*'), Condition: { StringEqualsIfExists: { 'iot:ThingGroupArn': 'g' } } }),
    ];
    const notNull = [doc({ ...allow('iot:*'), Condition: { Null: { 'aws:SourceArn': 'false' } } })];
    const isNull = [doc({ ...allow('iot:*'), Condition: { Null: { 'aws:SourceArn': 'true' } } })];

    // Act / Assess
    expect(evaluate(ifExists, req('iot:X', '*'))).toBe('Allow');
    expect(evaluate(ifExists, req('iot:X', '*', { 'iot:ThingGroupArn': 'g' }))).toBe('Allow');
    expect(evaluate(ifExists, req('iot:X', '*', { 'iot:ThingGroupArn': 'h' }))).toBe('ImplicitDeny');
    expect(evaluate(notNull, req('iot:X', '*', { 'aws:SourceArn': 'a' }))).toBe('Allow');
    expect(evaluate(notNull, req('iot:X', '*'))).toBe('ImplicitDeny');
    expect(evaluate(isNull, req('iot:X', '*'))).toBe('Allow');
  });

  it('treats a missing key as false for positive operators and true for negated ones', () => {
    // Prepare
    const withOp = (op: string) => [
      doc({ ...allow('iot:*'), Condition: { [op]: { 'aws:SourceAccount': ACCOUNT } } }),
    ];

    // Act / Assess
    expect(evaluate(withOp('StringEquals'), req('iot:X', '*'))).toBe('ImplicitDeny');
    expect(evaluate(withOp('StringNotEquals'), req('iot:X', '*'))).toBe('Allow');
    expect(evaluate(withOp('ArnNotLike'), req('iot:X', '*'))).toBe('Allow');
    expect(evaluate(withOp('StringNotEquals'), req('iot:X', '*', { 'aws:SourceAccount': ACCOUNT }))).toBe(
      'ImplicitDeny',
    );
  });

  it('ANDs operators and keys, ORs the values of one key and NORs them for a negated operator', () => {
    // Prepare
    const ps = [
      doc({
        ...allow('iot:*'),
        Condition: {
          StringEquals: { 'iot:a': ['1', '2'], 'iot:b': 'x' },
          StringNotEquals: { 'iot:c': ['bad', 'worse'] },
        },
      }),
    ];
    const run = (a: string, b: string, c: string) =>
      evaluate(ps, req('iot:X', '*', { 'iot:a': a, 'iot:b': b, 'iot:c': c }));

    // Act / Assess
    expect(run('2', 'x', 'ok')).toBe('Allow');
    expect(run('3', 'x', 'ok')).toBe('ImplicitDeny');
    expect(run('1', 'y', 'ok')).toBe('ImplicitDeny');
    expect(run('1', 'x', 'worse')).toBe('ImplicitDeny');
  });

  it('reads condition keys case-insensitively and values by the operator', () => {
    // Prepare
    const op = (name: string, value: string) => [
      doc({ ...allow('iot:*'), Condition: { [name]: { 'AWS:SOURCEACCOUNT': value } } }),
    ];
    const ctx = { 'aws:SourceAccount': 'Abc' };

    // Act / Assess
    expect(evaluate(op('StringEquals', 'Abc'), req('iot:X', '*', ctx))).toBe('Allow');
    expect(evaluate(op('StringEquals', 'abc'), req('iot:X', '*', ctx))).toBe('ImplicitDeny');
    expect(evaluate(op('StringEqualsIgnoreCase', 'aBC'), req('iot:X', '*', ctx))).toBe('Allow');
    expect(evaluate(op('StringNotEqualsIgnoreCase', 'aBC'), req('iot:X', '*', ctx))).toBe('ImplicitDeny');
    expect(evaluate(op('StringLike', 'A*'), req('iot:X', '*', ctx))).toBe('Allow');
    expect(evaluate(op('StringNotLike', 'a*'), req('iot:X', '*', ctx))).toBe('Allow');
  });

  it('compares Bool and Numeric values', () => {
    // Prepare
    const op = (name: string, key: string, value: string | number | boolean) => [
      doc({ ...allow('iot:*'), Condition: { [name]: { [key]: value } } }),
    ];
    const ctx = { 'aws:SecureTransport': 'TRUE', 'iot:n': '10' };
    const run = (ps: PolicyDocument[]) => evaluate(ps, req('iot:X', '*', ctx));

    // Act / Assess
    expect(run(op('Bool', 'aws:SecureTransport', true))).toBe('Allow');
    expect(run(op('Bool', 'aws:SecureTransport', 'false'))).toBe('ImplicitDeny');
    expect(run(op('NumericLessThan', 'iot:n', 11))).toBe('Allow');
    expect(run(op('NumericLessThan', 'iot:n', '10'))).toBe('ImplicitDeny');
    expect(run(op('NumericLessThanEquals', 'iot:n', '10'))).toBe('Allow');
    expect(run(op('NumericGreaterThan', 'iot:n', '9.5'))).toBe('Allow');
    expect(run(op('NumericGreaterThanEquals', 'iot:n', '11'))).toBe('ImplicitDeny');
    expect(run(op('NumericEquals', 'iot:n', '1e1'))).toBe('Allow');
    expect(run(op('NumericNotEquals', 'iot:n', '10'))).toBe('ImplicitDeny');
    expect(run(op('NumericEquals', 'iot:n', 'ten'))).toBe('ImplicitDeny');
  });

  it('substitutes policy variables in resources and condition values', () => {
    // Prepare
    const ps = [
      doc({
        ...allow(
          'dynamodb:GetItem',
          `arn:aws:dynamodb:eu-west-1:${v('aws:PrincipalAccount')}:table/${v('aws:username')}-*`,
        ),
      }),
      doc({ ...allow('iot:Publish', `arn:aws:iot:eu-west-1:1:topic/${v('iot:ClientId')}`) }),
      doc({
        ...allow('iot:Receive'),
        Condition: {
          StringLike: { 'iot:t': [`lit${v('*')}${v('?')}${v('$')}*`, v("aws:username, 'anon'")] },
        },
      }),
    ];

    // Act / Assess: the principal supplies aws:PrincipalAccount; the context aws:username.
    const t = (name: string) => `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${name}`;
    expect(evaluate(ps, req('dynamodb:GetItem', t('bob-x'), { 'aws:username': 'bob' }), role)).toBe('Allow');
    expect(evaluate(ps, req('dynamodb:GetItem', t('eve-x'), { 'aws:username': 'bob' }), role)).toBe(
      'ImplicitDeny',
    );
    // An absent variable makes the resource not match (no username for a role session).
    expect(evaluate(ps, req('dynamodb:GetItem', t('-x')), role)).toBe('ImplicitDeny');
    // A variable's value is literal even when it holds a wildcard.
    expect(evaluate(ps, req('iot:Publish', 'arn:aws:iot:eu-west-1:1:topic/a', { 'iot:ClientId': '*' }))).toBe(
      'ImplicitDeny',
    );
    expect(evaluate(ps, req('iot:Publish', 'arn:aws:iot:eu-west-1:1:topic/*', { 'iot:ClientId': '*' }))).toBe(
      'Allow',
    );
    // Escapes stand for literal characters; the default applies when the key is absent.
    expect(evaluate(ps, req('iot:Receive', '*', { 'iot:t': 'lit*?$zz' }))).toBe('Allow');
    expect(evaluate(ps, req('iot:Receive', '*', { 'iot:t': 'litx?$zz' }))).toBe('ImplicitDeny');
    expect(evaluate(ps, req('iot:Receive', '*', { 'iot:t': 'anon' }))).toBe('Allow');
    expect(evaluate(ps, req('iot:Receive', '*', { 'iot:t': 'anon', 'aws:username': 'bob' }))).toBe(
      'ImplicitDeny',
    );
  });

  it('ignores statements it cannot read instead of throwing', () => {
    // Prepare
    const broken = [
      doc({ ...allow('*'), Condition: { DateLessThanEquals2: { 'aws:CurrentTime': 'x' } } }),
      doc({ ...allow('*'), Condition: { NullIfExists: { 'aws:x': 'true' } } }),
      doc({ Effect: 'Allow', Resource: '*' }),
      doc({ Effect: 'Allow', Action: '*', NotAction: 'iot:*', Resource: '*' }),
      doc({ Effect: 'Allow', Action: '*' }),
      doc({ ...deny('*'), Condition: { Unknown: { a: 'b' } } }),
      { Version: '2012-10-17', Statement: null } as unknown as PolicyDocument,
    ];

    // Act / Assess
    expect(evaluate(broken, req('iot:X', '*'))).toBe('ImplicitDeny');
    expect(evaluate([...broken, doc(allow('*'))], req('iot:X', '*'))).toBe('Allow');
  });
});
