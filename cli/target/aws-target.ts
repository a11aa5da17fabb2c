import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { errorMessage, isNamed, TargetUnavailableError } from '../errors.ts';
import { createTarget } from './clients.ts';
import type { Target, TargetResources } from './target.ts';

export const DEFAULT_STACK = 'Recert';

/** The stack's output keys (see infra/): the contract between the deployment and the CLI. */
export const STACK_OUTPUTS = {
  stateMachineArn: 'StateMachineArn',
  rotationTableName: 'RotationTableName',
  escalationTopicArn: 'EscalationTopicArn',
  auditTopicArn: 'AuditTopicArn',
  region: 'Region',
} as const satisfies Record<Exclude<keyof TargetResources, CampaignResource>, string>;

type CampaignResource = 'campaignTableName' | 'campaignStateMachineArn';

/** Outputs of the campaign resources: optional, so a stack from before campaigns still serves the rest. */
export const CAMPAIGN_STACK_OUTPUTS = {
  campaignTableName: 'CampaignTableName',
  campaignStateMachineArn: 'CampaignStateMachineArn',
} as const satisfies Record<CampaignResource, string>;

/** Maps DescribeStacks outputs to resources; a missing output names the key and the stack. */
export function resourcesFromOutputs(stackName: string, outputs: readonly Output[]): TargetResources {
  const byKey = new Map(outputs.map((output) => [output.OutputKey, output.OutputValue]));
  const value = (field: keyof typeof STACK_OUTPUTS): string => {
    const key = STACK_OUTPUTS[field];
    const found = byKey.get(key);
    if (found === undefined || found === '') {
      throw new TargetUnavailableError(`stack ${stackName} has no output ${key}`, {
        hint: 'is it the recert stack, and did its deployment finish?',
      });
    }
    return found;
  };
  // A stack deployed before campaigns has no campaign outputs: every other command still works.
  const optional = (field: CampaignResource) => {
    const found = byKey.get(CAMPAIGN_STACK_OUTPUTS[field]);
    return found === undefined || found === '' ? {} : { [field]: found };
  };
  return {
    region: value('region'),
    stateMachineArn: value('stateMachineArn'),
    rotationTableName: value('rotationTableName'),
    escalationTopicArn: value('escalationTopicArn'),
    auditTopicArn: value('auditTopicArn'),
    ...optional('campaignTableName'),
    ...optional('campaignStateMachineArn'),
  };
}

/**
 * AWS with the default credential chain: the resources come from the deployed stack's outputs,
 * so nothing about the deployment is configured twice.
 */
export async function awsTarget(p: { stackName: string; region?: string }): Promise<Target> {
  const cfn = new CloudFormationClient(p.region !== undefined ? { region: p.region } : {});
  let outputs: Output[];
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: p.stackName }));
    const stack = out.Stacks?.[0];
    if (!stack) throw new TargetUnavailableError(`stack ${p.stackName} was not found`);
    outputs = stack.Outputs ?? [];
  } catch (error) {
    if (isNamed(error, 'ValidationError') && /does not exist/.test(errorMessage(error))) {
      throw new TargetUnavailableError(`stack ${p.stackName} does not exist in this account and region`, {
        cause: error,
        hint: 'deploy it (npm run synth, cdk deploy), pass --stack or RECERT_STACK, or use --local',
      });
    }
    throw error;
  } finally {
    cfn.destroy();
  }
  const resources = resourcesFromOutputs(p.stackName, outputs);
  return createTarget('aws', resources, { region: resources.region });
}
