import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  type IdentityId,
  type IdentityOptions,
  identityStatements,
  type PolicyStatement,
  type ResourceArns,
} from '../workflows/access/identity-policies.ts';

/** A contract statement as CDK writes it into a template. */
export function cdkStatement(statement: PolicyStatement): iam.PolicyStatement {
  return iam.PolicyStatement.fromJson(statement);
}

/**
 * Gives each role exactly the statements `identityStatements` lists for its identity, in order.
 * CDK adds its own to some roles (X-Ray, the state machines' log delivery): infra/README.md lists them.
 */
export function attachIdentityPolicies(
  roles: Readonly<Partial<Record<IdentityId, iam.IRole>>>,
  arns: ResourceArns,
  options: IdentityOptions,
): void {
  for (const [id, role] of Object.entries(roles) as [IdentityId, iam.IRole | undefined][]) {
    if (role === undefined) continue;
    for (const statement of identityStatements(id, arns, options)) {
      role.addToPrincipalPolicy(cdkStatement(statement));
    }
  }
}

/**
 * The operator's least-privilege policy, for the people who run recert (the `recert` CLI): a
 * customer managed policy an administrator attaches to their role, group or permission set.
 */
export function operatorPolicy(
  scope: Construct,
  id: string,
  arns: ResourceArns,
  options: IdentityOptions,
): iam.ManagedPolicy {
  return new iam.ManagedPolicy(scope, id, {
    description:
      'recert operators: what the recert CLI calls (rotations, campaigns, audits) on this deployment',
    statements: identityStatements('operator', arns, options).map(cdkStatement),
  });
}
