import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ResourceRole } from '../workflows/rotate-device/contract.ts';
import { TOPIC_PREFIX } from '../workflows/rotate-device/protocol.ts';

/** The deployed resources a grant's resource role can point at. */
export interface RoleTargets {
  readonly tableArn: string;
  readonly tableName: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly campaignTableArn: string;
  readonly campaignTableName: string;
  readonly campaignStateMachineArn: string;
  readonly campaignStateMachineName: string;
  readonly escalationTopicArn: string;
  /** The key that encrypts the escalation topic: a publisher needs it too. */
  readonly topicKeyArn: string;
}

export class UnknownResourceRoleError extends Error {
  constructor(role: string) {
    super(`the workflow contract names a resource role this stack does not know: ${role}`);
    this.name = 'UnknownResourceRoleError';
  }
}

/**
 * The ARNs of a resource role of the workflow contract (see `ResourceRole`), built from the stack's
 * partition, region and account so nothing is hard-coded. `any` is `*`: only for actions AWS
 * authorises on no resource type.
 */
export function arnsFor(scope: Construct, role: ResourceRole, targets: RoleTargets): string[] {
  const stack = Stack.of(scope);
  const iot = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'iot', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const executionsOf = (stateMachineName: string) =>
    stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  switch (role) {
    case 'rotationTable':
      return [targets.tableArn];
    case 'rotationTableIndexes':
      return [`${targets.tableArn}/index/*`];
    case 'campaignTable':
      // The campaign table has no index: the table alone.
      return [targets.campaignTableArn];
    case 'stateMachine':
      return [targets.stateMachineArn];
    case 'executions':
      return [executionsOf(targets.stateMachineName)];
    case 'campaignStateMachine':
      return [targets.campaignStateMachineArn];
    case 'campaignExecutions':
      return [executionsOf(targets.campaignStateMachineName)];
    case 'escalationTopic':
      return [targets.escalationTopicArn];
    case 'managementTopics':
      return [iot('topic', `${TOPIC_PREFIX}/*`)];
    case 'iotCertificates':
      return [iot('cert', '*')];
    case 'iotThings':
      return [iot('thing', '*')];
    case 'any':
      return ['*'];
    default:
      throw new UnknownResourceRoleError(String(role satisfies never));
  }
}

/** The state machine's ARN from its name: functions need it before the state machine exists. */
export function stateMachineArnFromName(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
