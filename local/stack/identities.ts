/**
 * Everyone who calls the local AWS, each with the role and statements the CDK stack deploys for it
 * (`workflows/access/`): the functions, the state machines, Device Defender's notifications, the operator.
 */
import {
  DEPLOYED_FUNCTION_IDS,
  type DeployedFunctionId,
  functionIdentity,
  type IdentityId,
  identityStatements,
  type ResourceArns,
} from '../../workflows/access/identity-policies.ts';
import type { IssuerKind } from '../../workflows/rotate-device/api-calls.ts';
import { IdentityStore } from '../iam/identities.ts';
import type { LocalCredentials, PolicyDocument, Principal } from '../iam/types.ts';
import { functionName } from './function-wiring.ts';
import { LOCAL_RESOURCE_NAMES, LOCAL_ROLE_NAMES } from './resources.ts';

export { LOCAL_ROLE_NAMES };

/** A function's role: `recert-<id>`, as its session is named after the function, as in Lambda. */
export const functionRoleName = (id: DeployedFunctionId): string => `recert-${id}-role`;

const ROLE_OF_IDENTITY: Readonly<Record<Exclude<IdentityId, `function:${string}`>, string>> = {
  'state-machine:rotate-device': LOCAL_ROLE_NAMES.rotationStateMachine,
  'state-machine:campaign': LOCAL_ROLE_NAMES.campaignStateMachine,
  'topic-rules:error-action': LOCAL_ROLE_NAMES.ruleErrors,
  'device-defender:audit': LOCAL_ROLE_NAMES.audit,
  'device-defender:notifications': LOCAL_ROLE_NAMES.auditNotifications,
  operator: LOCAL_ROLE_NAMES.operator,
};

export interface LocalIdentities {
  readonly store: IdentityStore;
  /** Each function's role session, whose credentials its SDK clients sign with. */
  readonly functionCredentials: Readonly<Record<DeployedFunctionId, LocalCredentials>>;
  /** The operator's role session: what `recert` and the console act as against the local AWS. */
  readonly operatorCredentials: LocalCredentials;
  /** The session a service (Step Functions, Device Defender) uses for a role it was given, by ARN. */
  principalOfRole(roleArn: string): Principal | undefined;
  /** That session's credentials, for a service that calls other services' APIs with the role. */
  credentialsOfRole(roleArn: string): LocalCredentials | undefined;
  /** The role name of an identity (to change its policies in a test). */
  roleNameOf(id: IdentityId): string;
}

const documentOf = (statements: ReturnType<typeof identityStatements>): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements,
});

/** The role of each identity, with the statements the stack deploys for it in this local account. */
export function createLocalIdentities(arns: ResourceArns, issuer: IssuerKind): LocalIdentities {
  const store = new IdentityStore(arns.account);
  const roleNameOf = (id: IdentityId): string => {
    const fid = DEPLOYED_FUNCTION_IDS.find((candidate) => functionIdentity(candidate) === id);
    if (fid !== undefined) return functionRoleName(fid);
    return ROLE_OF_IDENTITY[id as keyof typeof ROLE_OF_IDENTITY];
  };
  const policiesOf = (id: IdentityId): PolicyDocument[] => [
    documentOf(identityStatements(id, arns, { issuer })),
  ];
  const functionCredentials = {} as Record<DeployedFunctionId, LocalCredentials>;
  for (const fid of DEPLOYED_FUNCTION_IDS) {
    const id = functionIdentity(fid);
    functionCredentials[fid] = store.addRoleSession(roleNameOf(id), functionName(fid), policiesOf(id));
  }
  // Services assume these roles themselves; one session each, named after the role.
  const sessions = new Map<string, { principal: Principal; credentials: LocalCredentials }>();
  for (const id of Object.keys(ROLE_OF_IDENTITY) as (keyof typeof ROLE_OF_IDENTITY)[]) {
    if (id === 'operator') continue;
    const role = roleNameOf(id);
    const credentials = store.addRoleSession(role, role, policiesOf(id));
    const principal = store.sessionPrincipal(role, role);
    if (principal?.roleArn) sessions.set(principal.roleArn, { principal, credentials });
  }
  const operatorCredentials = store.addRoleSession(
    LOCAL_ROLE_NAMES.operator,
    'recert-cli',
    policiesOf('operator'),
  );
  return {
    store,
    functionCredentials,
    operatorCredentials,
    principalOfRole: (roleArn) => sessions.get(roleArn)?.principal,
    credentialsOfRole: (roleArn) => sessions.get(roleArn)?.credentials,
    roleNameOf,
  };
}

/** The local resources' ARNs, as the policies name them (the CDK stack passes its own). */
export function localResourceArns(
  region: string,
  accountId: string,
  functions: { arnOf(name: string): string },
  privateCaArn: string | undefined,
): ResourceArns {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${accountId}:${resource}`;
  const byFunction = <T>(value: (id: DeployedFunctionId) => T) =>
    Object.fromEntries(DEPLOYED_FUNCTION_IDS.map((id) => [id, value(id)])) as Record<DeployedFunctionId, T>;
  return {
    partition: 'aws',
    region,
    account: accountId,
    rotationTableArn: arn('dynamodb', `table/${LOCAL_RESOURCE_NAMES.table}`),
    campaignTableArn: arn('dynamodb', `table/${LOCAL_RESOURCE_NAMES.campaignTable}`),
    stateMachineArn: arn('states', `stateMachine:${LOCAL_RESOURCE_NAMES.stateMachine}`),
    stateMachineName: LOCAL_RESOURCE_NAMES.stateMachine,
    campaignStateMachineArn: arn('states', `stateMachine:${LOCAL_RESOURCE_NAMES.campaignStateMachine}`),
    campaignStateMachineName: LOCAL_RESOURCE_NAMES.campaignStateMachine,
    escalationTopicArn: arn('sns', LOCAL_RESOURCE_NAMES.escalationTopic),
    auditTopicArn: arn('sns', LOCAL_RESOURCE_NAMES.auditTopic),
    // No KMS locally: the topics are not encrypted, and the key's statements allow nothing here.
    topicKeyArn: arn('kms', 'key/local-topics'),
    functionArns: byFunction((id) => functions.arnOf(functionName(id))),
    functionLogGroupArns: byFunction((id) => arn('logs', `log-group:/aws/lambda/${functionName(id)}:*`)),
    topicRuleErrorLogGroupArn: arn('logs', 'log-group:recert-topic-rule-errors:*'),
    stackName: 'recert',
    ...(privateCaArn ? { privateCaArn } : {}),
  };
}
