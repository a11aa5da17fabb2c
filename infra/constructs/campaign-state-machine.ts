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
 * The campaign state machine (`asl/campaign.asl.json`, settings baked by `bakeCampaignSettings`). Its role
 * may invoke its functions and no table: a direct DynamoDB task in the definition stops the build.
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
