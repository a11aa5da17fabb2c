/**
 * The policy of every identity of a recert deployment, from one source: the CDK stack deploys it,
 * the local AWS enforces it. See README.md for who is who and what CDK adds on its own.
 */
import type { IssuerKind } from '../rotate-device/api-calls.ts';
import type { Grant } from '../rotate-device/functions.ts';
import { functionGrants, functionOfIdentity, type IdentityId } from './identities.ts';
import { OPERATOR_GRANTS } from './operator.ts';
import type { PolicyStatement } from './policy.ts';
import { arnsOfRole, type ResourceArns } from './resource-arns.ts';
import { stateMachineStatements } from './state-machine-policies.ts';

export {
  DEPLOYED_FUNCTION_IDS,
  type DeployedFunctionId,
  functionGrants,
  functionIdentity,
  functionOfIdentity,
  functionSpec,
  IDENTITY_IDS,
  type IdentityId,
} from './identities.ts';
export { OPERATOR_GRANTS } from './operator.ts';
export type { ConditionBlock, PolicyStatement } from './policy.ts';
export {
  arnOf,
  arnsOfRole,
  executionsOf,
  MissingResourceArnError,
  type ResourceArns,
} from './resource-arns.ts';
export {
  type StateMachineId,
  stateMachineIntegrations,
  stateMachineStatements,
  UnboundIntegrationError,
} from './state-machine-policies.ts';

export interface IdentityOptions {
  /** Who signs new certificates: the issue function's grants depend on it. */
  readonly issuer: IssuerKind;
}

/** The one statement of a contract grant: its actions on its role's ARNs, within its partition keys. */
export function statementOfGrant(grant: Grant, arns: ResourceArns): PolicyStatement {
  return {
    Effect: 'Allow',
    Action: [...grant.actions],
    Resource: arnsOfRole(grant.resource, arns),
    ...(grant.leadingKeys
      ? { Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...grant.leadingKeys] } } }
      : {}),
  };
}

/** Writing to one log group's streams (the log group ARN as CloudFormation gives it, `...:*`). */
const writeLogs = (logGroupArn: string, actions: readonly string[]): PolicyStatement => ({
  Effect: 'Allow',
  Action: [...actions],
  Resource: [logGroupArn],
});

/**
 * The identity-based policy statements of one identity, in the order the stack attaches them. CDK
 * adds statements of its own to some roles (README.md); the local AWS needs none of those.
 */
export function identityStatements(
  id: IdentityId,
  arns: ResourceArns,
  options: IdentityOptions,
): PolicyStatement[] {
  const fid = functionOfIdentity(id);
  if (fid !== undefined) {
    return [
      // The function's own log group only: Lambda writes its logs with the function's role.
      writeLogs(arns.functionLogGroupArns[fid], ['logs:CreateLogStream', 'logs:PutLogEvents']),
      ...functionGrants(fid, options.issuer).map((grant) => statementOfGrant(grant, arns)),
    ];
  }
  switch (id) {
    case 'state-machine:rotate-device':
      return stateMachineStatements('rotate-device', arns);
    case 'state-machine:campaign':
      return stateMachineStatements('campaign', arns);
    case 'topic-rules:error-action':
      // IoT's CloudWatch Logs action looks its stream up before it writes.
      return [
        writeLogs(arns.topicRuleErrorLogGroupArn, [
          'logs:CreateLogStream',
          'logs:DescribeLogStreams',
          'logs:PutLogEvents',
        ]),
      ];
    case 'device-defender:audit':
      // Everything it reads is in AWS's managed policy (identityManagedPolicies).
      return [];
    case 'device-defender:notifications':
      return [
        { Effect: 'Allow', Action: ['sns:Publish'], Resource: [arns.auditTopicArn] },
        // The audit topic is encrypted: SNS uses the key on the publisher's behalf.
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: [arns.topicKeyArn] },
      ];
    case 'operator':
      return OPERATOR_GRANTS.map((grant) => statementOfGrant(grant, arns));
    default:
      throw new TypeError(`not an identity of recert: ${id}`);
  }
}

/** The AWS managed policy Device Defender's audit role uses: AWS keeps it in step with its checks. */
export const AUDIT_MANAGED_POLICY = 'service-role/AWSIoTDeviceDefenderAudit';

/** AWS managed policies (by name under `arn:<partition>:iam::aws:policy/`) an identity also has. */
export function identityManagedPolicies(id: IdentityId): readonly string[] {
  return id === 'device-defender:audit' ? [AUDIT_MANAGED_POLICY] : [];
}
