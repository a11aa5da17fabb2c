import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import {
  bakeSettings,
  type FunctionId,
  PLACEHOLDERS,
  readDefinitionTemplate,
  type Settings,
} from '../../workflows/rotate-device/contract.ts';
import { FileDefinedStateMachine } from './file-state-machine.ts';

export interface RotationStateMachineProps {
  readonly stateMachineName: string;
  readonly workflowSettings: Settings;
  readonly functions: Readonly<Record<FunctionId, lambda.IFunction>>;
  readonly tableName: string;
  readonly logRetentionDays: number;
}

/** The file name of the definition with the settings baked in, in the synthesis output. */
export const BAKED_DEFINITION_FILE = 'recert-rotate-device.asl.json';

/**
 * The rotate-device state machine (`asl/rotate-device.asl.json`, settings baked by `bakeSettings`); its
 * role may invoke its functions and use the table as its DynamoDB tasks do.
 */
export class RotationStateMachine extends FileDefinedStateMachine {
  constructor(scope: Construct, id: string, props: RotationStateMachineProps) {
    super(scope, id, {
      stateMachineName: props.stateMachineName,
      roleDescription: 'recert rotate-device state machine',
      definition: bakeSettings(readDefinitionTemplate(), props.workflowSettings),
      definitionFileName: BAKED_DEFINITION_FILE,
      substitutions: rotationSubstitutions(props),
      logRetentionDays: props.logRetentionDays,
    });
  }
}

function rotationSubstitutions(props: RotationStateMachineProps): Record<string, string> {
  const substitutions: Record<string, string> = {};
  for (const [name, binding] of Object.entries(PLACEHOLDERS)) {
    if (binding.kind === 'function') substitutions[name] = props.functions[binding.functionId].functionArn;
    else if (binding.kind === 'table') substitutions[name] = props.tableName;
  }
  return substitutions;
}
