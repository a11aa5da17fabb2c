import type { ResourceRole } from '../rotate-device/functions.ts';
import { TOPIC_PREFIX } from '../rotate-device/protocol.ts';
import type { DeployedFunctionId } from './identities.ts';

/**
 * The deployed resources the policies name, as plain strings (CDK tokens, or the local AWS's ARNs); every
 * other ARN is built from partition, region and account.
 */
export interface ResourceArns {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly rotationTableArn: string;
  readonly campaignTableArn: string;
  /** The rotate-device state machine. */
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly campaignStateMachineArn: string;
  readonly campaignStateMachineName: string;
  readonly escalationTopicArn: string;
  /** recert's own audit notification topic (Device Defender publishes to it). */
  readonly auditTopicArn: string;
  /** The KMS key that encrypts both topics. */
  readonly topicKeyArn: string;
  readonly functionArns: Readonly<Record<DeployedFunctionId, string>>;
  /** Each function's log group, as CloudFormation's `Arn` gives it: `...:log-group:<name>:*`. */
  readonly functionLogGroupArns: Readonly<Record<DeployedFunctionId, string>>;
  /** The log group the topic rules' error action writes to (`...:log-group:<name>:*`). */
  readonly topicRuleErrorLogGroupArn: string;
  /** The CloudFormation stack the CLI reads its outputs from. */
  readonly stackName: string;
  /** The ACM Private CA, when the deployment's issuer is `acm-pca`. */
  readonly privateCaArn?: string;
}

export class MissingResourceArnError extends Error {
  constructor(what: string) {
    super(`a policy needs the ARN of ${what}, which was not given`);
    this.name = 'MissingResourceArnError';
  }
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export function arnOf(arns: ResourceArns, service: string, resource: string): string {
  return `arn:${arns.partition}:${service}:${arns.region}:${arns.account}:${resource}`;
}

/** Every execution of a state machine, by its name. */
export const executionsOf = (arns: ResourceArns, stateMachineName: string): string =>
  arnOf(arns, 'states', `execution:${stateMachineName}:*`);

/**
 * The ARNs of a resource role of the workflow contract (see `ResourceRole`). `any` is `*`: only for
 * actions the authorization reference gives no resource type.
 */
export function arnsOfRole(role: ResourceRole, arns: ResourceArns): string[] {
  switch (role) {
    case 'rotationTable':
      return [arns.rotationTableArn];
    case 'rotationTableIndexes':
      return [`${arns.rotationTableArn}/index/*`];
    case 'campaignTable':
      // The campaign table has no index: the table alone.
      return [arns.campaignTableArn];
    case 'stateMachine':
      return [arns.stateMachineArn];
    case 'executions':
      return [executionsOf(arns, arns.stateMachineName)];
    case 'campaignStateMachine':
      return [arns.campaignStateMachineArn];
    case 'campaignExecutions':
      return [executionsOf(arns, arns.campaignStateMachineName)];
    case 'escalationTopic':
      return [arns.escalationTopicArn];
    case 'managementTopics':
      return [arnOf(arns, 'iot', `topic/${TOPIC_PREFIX}/*`)];
    case 'iotCertificates':
      return [arnOf(arns, 'iot', 'cert/*')];
    case 'iotThings':
      return [arnOf(arns, 'iot', 'thing/*')];
    case 'topicKey':
      return [arns.topicKeyArn];
    case 'privateCertificateAuthority':
      if (arns.privateCaArn === undefined) throw new MissingResourceArnError('the private CA');
      return [arns.privateCaArn];
    case 'stack':
      return [arnOf(arns, 'cloudformation', `stack/${arns.stackName}/*`)];
    case 'any':
      return ['*'];
    default:
      throw new MissingResourceArnError(`the resource role ${String(role satisfies never)}`);
  }
}
