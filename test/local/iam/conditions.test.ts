import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../local/iam/evaluate.ts';
import type { PolicyDocument } from '../../../local/iam/types.ts';
import { ACCOUNT, allow, doc, req, role, v } from './policy-fixtures.ts';

describe('IAM evaluation: conditions and policy variables', () => {
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
});
