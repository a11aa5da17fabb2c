import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import {
  bakeCampaignSettings,
  CAMPAIGN_PLACEHOLDERS,
  type CampaignFunctionId,
  type CampaignSettings,
  readCampaignDefinitionTemplate,
} from '../../workflows/campaign/contract.ts';
import type { Settings } from '../../workflows/rotate-device/contract.ts';
import { FileDefinedStateMachine } from './file-state-machine.ts';

export interface CampaignStateMachineProps {
  readonly stateMachineName: string;
  /** The rotation workflow's settings: the campaign retries throttles with its TransientRetry*. */
  readonly workflowSettings: Settings;
  readonly campaignSettings: CampaignSettings;
  readonly functions: Readonly<Record<CampaignFunctionId, lambda.IFunction>>;
  readonly logRetentionDays: number;
}

/** The file name of the campaign definition with the settings baked in, in the synthesis output. */
export const BAKED_CAMPAIGN_DEFINITION_FILE = 'recert-campaign.asl.json';

/**
 * The campaign state machine from `asl/campaign.asl.json`, its settings baked in by
 * `bakeCampaignSettings` (as the local run renders it), the function ARNs left to CloudFormation.
 * Its role may invoke exactly the functions its tasks name. It is given no table: the campaign reads
 * and writes its table only through its functions, so a direct DynamoDB task stops the build.
 */
export class CampaignStateMachine extends FileDefinedStateMachine {
  constructor(scope: Construct, id: string, props: CampaignStateMachineProps) {
    super(scope, id, {
      stateMachineName: props.stateMachineName,
      roleDescription: 'recert campaign state machine',
      definition: bakeCampaignSettings(readCampaignDefinitionTemplate(), {
        rotation: props.workflowSettings,
        campaign: props.campaignSettings,
      }),
      definitionFileName: BAKED_CAMPAIGN_DEFINITION_FILE,
      substitutions: campaignSubstitutions(props),
      logRetentionDays: props.logRetentionDays,
    });
  }
}

function campaignSubstitutions(props: CampaignStateMachineProps): Record<string, string> {
  const substitutions: Record<string, string> = {};
  for (const [name, binding] of Object.entries(CAMPAIGN_PLACEHOLDERS)) {
    if (binding.kind === 'function') substitutions[name] = props.functions[binding.functionId].functionArn;
  }
  return substitutions;
}
