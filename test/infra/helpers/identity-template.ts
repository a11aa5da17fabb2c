import type { Stack } from 'aws-cdk-lib';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import {
  DEPLOYED_FUNCTION_IDS,
  type DeployedFunctionId,
  type IdentityId,
  type ResourceArns,
} from '../../../workflows/access/identity-policies.ts';
import {
  CDK_STATE_MACHINE_STATEMENTS,
  CDK_XRAY_STATEMENT,
  logicalId,
  type Synthesised,
  statementsOfRole,
} from './synth.ts';

/**
 * Resolves a synthesized template's intrinsics to plain strings, naming each resource after its
 * logical id, so a template statement and a contract statement given `placeholderArns` compare as
 * text. Ref and Fn::GetAtt follow what CloudFormation returns for each resource type.
 */
export const PLACEHOLDER = { partition: 'aws', region: 'eu-west-1', account: '111122223333' } as const;

const arn = (service: string, rest: string) =>
  `arn:${PLACEHOLDER.partition}:${service}:${PLACEHOLDER.region}:${PLACEHOLDER.account}:${rest}`;

const REF: Readonly<Record<string, (id: string) => string>> = {
  'AWS::DynamoDB::GlobalTable': (id) => id,
  'AWS::SNS::Topic': (id) => arn('sns', id),
  'AWS::KMS::Key': (id) => id,
  'AWS::Logs::LogGroup': (id) => id,
  'AWS::Lambda::Function': (id) => id,
  'AWS::IAM::Role': (id) => id,
  'AWS::IAM::ManagedPolicy': (id) => `arn:aws:iam::${PLACEHOLDER.account}:policy/${id}`,
};
const ARN: Readonly<Record<string, (id: string) => string>> = {
  'AWS::DynamoDB::GlobalTable': (id) => arn('dynamodb', `table/${id}`),
  'AWS::SNS::Topic': (id) => arn('sns', id),
  'AWS::KMS::Key': (id) => arn('kms', `key/${id}`),
  'AWS::Logs::LogGroup': (id) => arn('logs', `log-group:${id}:*`),
  'AWS::Lambda::Function': (id) => arn('lambda', `function:${id}`),
  'AWS::IAM::Role': (id) => `arn:aws:iam::${PLACEHOLDER.account}:role/${id}`,
};
const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::Partition': PLACEHOLDER.partition,
  'AWS::Region': PLACEHOLDER.region,
  'AWS::AccountId': PLACEHOLDER.account,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'Recert',
};

export class UnresolvableError extends Error {
  override readonly name = 'UnresolvableError';
}

export type TemplateJson = { Resources: Record<string, { Type: string; Properties?: unknown }> };

/** A template value with every Ref, Fn::GetAtt and Fn::Join resolved to text. */
export function resolve(template: TemplateJson, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(template, v));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const typeOf = (id: string) => {
    const type = template.Resources[id]?.Type;
    if (type === undefined) throw new UnresolvableError(`no resource ${id}`);
    return type;
  };
  if (typeof record.Ref === 'string') {
    const pseudo = PSEUDO[record.Ref];
    if (pseudo !== undefined) return pseudo;
    const ref = REF[typeOf(record.Ref)];
    if (ref === undefined) throw new UnresolvableError(`Ref of a ${typeOf(record.Ref)}`);
    return ref(record.Ref);
  }
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt)) {
    const [id, attribute] = getAtt as [string, string];
    const type = typeOf(id);
    const att = ARN[type];
    if (attribute === 'Arn' && att !== undefined) return att(id);
    // Another attribute (a custom resource's answer): a name that cannot be mistaken for an ARN.
    return `<${id}.${attribute}>`;
  }
  const join = record['Fn::Join'];
  if (Array.isArray(join)) {
    const [separator, parts] = join as [string, unknown[]];
    return parts.map((p) => String(resolve(template, p))).join(separator);
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolve(template, v)]));
}

/** A statement as text: actions and resources always arrays, no Sid (CDK writes one-element arrays bare). */
export function normalise(statement: unknown): unknown {
  const s = statement as Record<string, unknown>;
  const list = (v: unknown) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);
  return {
    Effect: s.Effect,
    Action: list(s.Action),
    Resource: list(s.Resource),
    ...(s.Condition === undefined ? {} : { Condition: s.Condition }),
  };
}

/** The stack's resources named as `resolve` names them: what the template's tokens resolve to. */
export function placeholderArns(s: Synthesised, privateCaArn?: string): ResourceArns {
  const stack = s.stack;
  const id = (construct: IConstruct) => logicalId(construct);
  const byFunction = (pick: (fid: DeployedFunctionId) => string) =>
    Object.fromEntries(DEPLOYED_FUNCTION_IDS.map((fid) => [fid, pick(fid)])) as Record<
      DeployedFunctionId,
      string
    >;
  const f = stack.workflowFunctions;
  const names = stack.resourceArns;
  return {
    ...PLACEHOLDER,
    rotationTableArn: ARN['AWS::DynamoDB::GlobalTable']?.(id(stack.table.table)) ?? '',
    campaignTableArn: ARN['AWS::DynamoDB::GlobalTable']?.(id(stack.campaignTable.table)) ?? '',
    stateMachineArn: arn('states', `stateMachine:${names.stateMachineName}`),
    stateMachineName: names.stateMachineName,
    campaignStateMachineArn: arn('states', `stateMachine:${names.campaignStateMachineName}`),
    campaignStateMachineName: names.campaignStateMachineName,
    escalationTopicArn: arn('sns', id(stack.topics.escalationTopic)),
    auditTopicArn: arn('sns', id(stack.topics.auditTopic)),
    topicKeyArn: arn('kms', `key/${id(stack.topics.key)}`),
    functionArns: byFunction((fid) => arn('lambda', `function:${id(f.functions[fid])}`)),
    functionLogGroupArns: byFunction((fid) => arn('logs', `log-group:${id(f.logGroups[fid])}:*`)),
    topicRuleErrorLogGroupArn: arn('logs', `log-group:${id(stack.topicRules.errorLogGroup)}:*`),
    stackName: stack.stackName,
    ...(privateCaArn === undefined ? {} : { privateCaArn }),
  };
}

/** The logical ids of every IAM role in the stack whose construct lies under one of `scopes`. */
export function rolesUnder(stack: Stack, scopes: readonly IConstruct[]): string[] {
  return stack.node
    .findAll()
    .filter((c): c is CfnRole => c instanceof CfnRole)
    .filter((role) => scopes.some((scope) => role.node.path.startsWith(`${scope.node.path}/`)))
    .map((role) => String(stack.resolve(stack.getLogicalId(role))));
}

/** The identity whose role has this logical id, by the stack's own table of roles. */
export function identityRoleIds(s: Synthesised): Map<string, IdentityId> {
  const ids = new Map<string, IdentityId>();
  for (const [identity, role] of Object.entries(s.stack.identityRoles)) {
    if (role !== undefined) ids.set(logicalId(role), identity as IdentityId);
  }
  return ids;
}

/** What CDK grants by itself, normalised: X-Ray for an actively traced function. */
const CDK_FUNCTION_STATEMENTS = [normalise(CDK_XRAY_STATEMENT)];
/** What CDK grants a state machine with logging and tracing on, normalised: log delivery and X-Ray. */
const CDK_STATE_MACHINE_OWN = CDK_STATE_MACHINE_STATEMENTS.map(normalise);

/** The statements CDK adds on its own to an identity's role. */
export function cdkOwnStatements(id: IdentityId): unknown[] {
  if (id.startsWith('function:')) return CDK_FUNCTION_STATEMENTS;
  if (id.startsWith('state-machine:')) return CDK_STATE_MACHINE_OWN;
  return [];
}

/** An identity's role statements as deployed, resolved to text: CDK's own, and the rest in order. */
export function deployedStatements(s: Synthesised, id: IdentityId): { own: unknown[]; rest: unknown[] } {
  const role = s.stack.identityRoles[id];
  if (role === undefined) throw new Error(`the stack deploys no role for ${id}`);
  const template = s.template.toJSON() as TemplateJson;
  const statements = statementsOfRole(s.template, logicalId(role)).map((st) =>
    normalise(resolve(template, st)),
  );
  const own = cdkOwnStatements(id).map((st) => JSON.stringify(st));
  return {
    own: statements.filter((st) => own.includes(JSON.stringify(st))),
    rest: statements.filter((st) => !own.includes(JSON.stringify(st))),
  };
}
