import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import {
  bakeCampaignSettings,
  CAMPAIGN_PLACEHOLDERS,
  type CampaignFunctionId,
  type CampaignSettings,
  readCampaignDefinitionTemplate,
} from '../../workflows/campaign/contract.ts';
import {
  bakeSettings,
  type FunctionId,
  PLACEHOLDERS,
  readDefinitionTemplate,
  type Settings,
} from '../../workflows/rotate-device/contract.ts';
import { FileDefinedStateMachine } from './file-state-machine.ts';

/** What both state machines take from the stack. */
export interface WorkflowStateMachineProps {
  readonly stateMachineName: string;
  /** The rotation workflow's settings: the campaign retries throttles with its TransientRetry* too. */
  readonly workflowSettings: Settings;
  readonly functions: Readonly<Record<FunctionId | CampaignFunctionId, lambda.IFunction>>;
  readonly logRetentionDays: number;
}

/** A placeholder binding that names a function or the table; other kinds are baked in before synthesis. */
type Bound = { readonly kind: string; readonly functionId?: FunctionId | CampaignFunctionId };

/** CloudFormation's DefinitionSubstitutions: each function placeholder's ARN, the table's name for `table`. */
function substitutionsFor(
  placeholders: Readonly<Record<string, Bound>>,
  functions: WorkflowStateMachineProps['functions'],
  tableName?: string,
): Record<string, string> {
  const substitutions: Record<string, string> = {};
  for (const [name, binding] of Object.entries(placeholders)) {
    if (binding.kind === 'function' && binding.functionId) {
      substitutions[name] = functions[binding.functionId].functionArn;
    } else if (binding.kind === 'table' && tableName !== undefined) substitutions[name] = tableName;
  }
  return substitutions;
}

/** A workflow's state machine: its role named for it, its baked definition written as `recert-<workflow>.asl.json`. */
function workflowStateMachine(
  scope: Construct,
  id: string,
  workflow: 'rotate-device' | 'campaign',
  props: WorkflowStateMachineProps,
  definition: string,
  substitutions: Record<string, string>,
): FileDefinedStateMachine {
  return new FileDefinedStateMachine(scope, id, {
    stateMachineName: props.stateMachineName,
    roleDescription: `recert ${workflow} state machine`,
    definition,
    definitionFileName: `recert-${workflow}.asl.json`,
    substitutions,
    logRetentionDays: props.logRetentionDays,
  });
}

/**
 * The rotate-device state machine (`asl/rotate-device.asl.json`, settings baked by `bakeSettings`); its
 * role may invoke its functions and use the table as its DynamoDB tasks do.
 */
export function rotationStateMachine(
  scope: Construct,
  id: string,
  props: WorkflowStateMachineProps & { readonly tableName: string },
): FileDefinedStateMachine {
  const definition = bakeSettings(readDefinitionTemplate(), props.workflowSettings);
  const substitutions = substitutionsFor(PLACEHOLDERS, props.functions, props.tableName);
  return workflowStateMachine(scope, id, 'rotate-device', props, definition, substitutions);
}

/**
 * The campaign state machine (`asl/campaign.asl.json`, settings baked by `bakeCampaignSettings`). Its role
 * may invoke its functions and no table: a direct DynamoDB task in the definition stops the build.
 */
export function campaignStateMachine(
  scope: Construct,
  id: string,
  props: WorkflowStateMachineProps & { readonly campaignSettings: CampaignSettings },
): FileDefinedStateMachine {
  const definition = bakeCampaignSettings(readCampaignDefinitionTemplate(), {
    rotation: props.workflowSettings,
    campaign: props.campaignSettings,
  });
  const substitutions = substitutionsFor(CAMPAIGN_PLACEHOLDERS, props.functions);
  return workflowStateMachine(scope, id, 'campaign', props, definition, substitutions);
}
