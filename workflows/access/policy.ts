/**
 * IAM's policy document grammar, as AWS writes it: what the contract's policies are made of, and what the
 * local AWS's IAM evaluates (local/iam/).
 */

/** A condition block: operator → condition key → value(s), as IAM writes it. */
export type ConditionBlock = Readonly<
  Record<string, Readonly<Record<string, string | boolean | number | readonly (string | boolean | number)[]>>>
>;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  /** Resource policies only: `{ Service: 'iot.amazonaws.com' }`, `{ AWS: '<arn>' }` or `'*'`. */
  readonly Principal?: string | Readonly<Record<string, string | readonly string[]>>;
  readonly Condition?: ConditionBlock;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}
