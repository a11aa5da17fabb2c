import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import {
  DEPLOYED_FUNCTION_IDS,
  type IdentityId,
  identityStatements,
  type PolicyStatement,
} from '../workflows/access/identity-policies.ts';
import type { RecertStack } from './stack.ts';

/** The id CDK gives the singleton function behind AwsCustomResource. */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

const IAM5 = 'AwsSolutions-IAM5';

/** What CDK grants on `*` by itself: X-Ray for traced functions; log delivery and X-Ray for state machines. */
const CDK_UNSCOPED: Readonly<Record<'function' | 'state-machine', string>> = {
  function: "X-Ray's PutTraceSegments and PutTelemetryRecords (active tracing) authorise on no resource",
  'state-machine':
    'CloudWatch Logs log delivery and X-Ray tracing, which the state machine needs for logging and ' +
    'tracing, authorise on no resource',
};

/** A resource as cdk-nag names it in a finding: `<Logical.Arn>`, `<AWS::Region>`, joins joined. */
function nagName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(nagName).join('');
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.Ref === 'string') return `<${record.Ref}>`;
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
    const join = record['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(nagName).join(join[0]);
    }
  }
  throw new TypeError(`no cdk-nag name for ${JSON.stringify(value)}`);
}

/** Why a contract grant names every resource of a kind: the resources are not known at deploy time. */
function wildcardReason(resource: string, actions: readonly string[]): string {
  const what = actions.join(', ');
  if (resource === '*') return `${what} authorise on no resource type in the Service Authorization Reference`;
  if (resource.endsWith(':cert/*'))
    return `${what}: rotations act on the certificates of any device of the fleet, not known at deploy time`;
  if (resource.endsWith(':thing/*')) return `${what}: any thing of the fleet, not known at deploy time`;
  if (resource.endsWith('/index/*')) return `${what}: the rotation table's byStatus index`;
  if (resource.includes(':topic/management/topic/'))
    return `${what}: the management topics of whichever thing is rotated, scoped to the recert prefix`;
  if (resource.includes(':execution:'))
    return `${what}: the executions of one recert state machine, named at run time`;
  if (resource.includes(':stack/'))
    return `${what}: the recert stack, whose ARN ends in an id CloudFormation picks`;
  throw new TypeError(`no reason is written down for the wildcard resource ${resource}`);
}

/** Acknowledges each wildcard resource of these statements once, with the actions granted on it. */
function acknowledgeWildcards(
  scope: IConstruct,
  statements: readonly PolicyStatement[],
  cdkOwn?: string,
): void {
  const stack = Stack.of(scope);
  const reasons = new Map<string, string[]>();
  if (cdkOwn !== undefined) reasons.set('*', [cdkOwn]);
  for (const statement of statements) {
    const actions = ([] as string[]).concat(statement.Action ?? []);
    for (const resource of ([] as string[]).concat(statement.Resource ?? [])) {
      const name = nagName(stack.resolve(resource));
      if (!name.includes('*')) continue;
      const list = reasons.get(name) ?? [];
      list.push(wildcardReason(name, actions));
      reasons.set(name, list);
    }
  }
  for (const [name, list] of reasons) {
    Validations.of(scope).acknowledge({ id: `${IAM5}[Resource::${name}]`, reason: `${list.join('; ')}.` });
  }
}

/**
 * The cdk-nag AwsSolutions findings recert accepts, each acknowledged on the one construct it
 * concerns and, for wildcard findings, for the one resource named, with the reason.
 */
export function suppressFindings(stack: RecertStack): void {
  const options = stack.identityOptions;
  for (const [id, role] of Object.entries(stack.identityRoles) as [IdentityId, IConstruct][]) {
    const kind = id.startsWith('function:')
      ? 'function'
      : id.startsWith('state-machine:')
        ? 'state-machine'
        : undefined;
    acknowledgeWildcards(
      role,
      identityStatements(id, stack.resourceArns, options),
      kind === undefined ? undefined : CDK_UNSCOPED[kind],
    );
  }
  acknowledgeWildcards(stack.operatorPolicy, identityStatements('operator', stack.resourceArns, options));

  for (const fid of DEPLOYED_FUNCTION_IDS) {
    Validations.of(stack.workflowFunctions.functions[fid]).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'recert runs on nodejs22.x, the runtime its handlers are built and tested for (esbuild target node22).',
    });
  }

  Validations.of(stack.audit.auditRole).acknowledge({
    id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSIoTDeviceDefenderAudit]`,
    reason:
      'The audit role needs read access to everything Device Defender audits; AWS maintains that list in ' +
      'this managed policy as it adds checks.',
  });

  const lookup = stack.iotDataEndpoint.lookup;
  if (lookup) {
    Validations.of(lookup).acknowledge({
      id: `${IAM5}[Resource::*]`,
      reason: 'iot:DescribeEndpoint authorises on no resource.',
    });
    const provider = Stack.of(stack).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    if (provider) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's AwsCustomResource provider (the IoT endpoint lookup at deploy time) logs with the basic " +
          'execution role; it runs only during deployment.',
      });
    }
  }
}
