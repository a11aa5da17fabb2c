import { describe, expect, it } from 'vitest';
import { evaluate, evaluateResourcePolicy } from '../../../local/iam/evaluate.ts';
import type { PolicyDocument, PolicyStatement } from '../../../local/iam/types.ts';
import { ACCOUNT, allow, cert, deny, doc, req, role, v } from './policy-fixtures.ts';

describe('IAM evaluation: actions, resources, principals', () => {
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

    const odd = [doc(allow([`iot:${v('x')}`, 'iot:Get$'], v('aws:username')))];

    // Act / Assess
    expect(evaluate(odd, req('iot:X', '*'))).toBe('ImplicitDeny');
    expect(evaluate(odd, req('iot:Get$', 'bob', { 'aws:username': 'bob' }))).toBe('Allow');
    expect(evaluate(broken, req('iot:X', '*'))).toBe('ImplicitDeny');
    expect(evaluate([...broken, doc(allow('*'))], req('iot:X', '*'))).toBe('Allow');
  });
});
