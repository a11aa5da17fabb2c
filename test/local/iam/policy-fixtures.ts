import type {
  AuthorizationRequest,
  PolicyDocument,
  PolicyStatement,
  Principal,
  RequestContext,
} from '../../../local/iam/types.ts';

/** Small builders of policies and requests shared by the evaluator tests. */
export const ACCOUNT = '111122223333';
export const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement,
});
export const req = (
  action: string,
  resource: string,
  context: RequestContext = {},
): AuthorizationRequest => ({
  action,
  resource,
  context,
});
export const allow = (Action: string | string[], Resource: string | string[] = '*'): PolicyStatement => ({
  Effect: 'Allow',
  Action,
  Resource,
});
export const deny = (Action: string | string[], Resource: string | string[] = '*'): PolicyStatement => ({
  Effect: 'Deny',
  Action,
  Resource,
});
export const role: Principal = {
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/rotator/s1`,
  roleArn: `arn:aws:iam::${ACCOUNT}:role/rotator`,
  policies: [],
  administrator: false,
};
/** A policy variable as IAM writes it (`$` `{key}`), built so it is not read as a template literal. */
export const v = (key: string): string => ['$', '{', key, '}'].join('');
export const cert = (id: string) => `arn:aws:iot:eu-west-1:${ACCOUNT}:cert/${id}`;
