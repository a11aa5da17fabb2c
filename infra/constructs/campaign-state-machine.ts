import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  bakeCampaignSettings,
  CAMPAIGN_PLACEHOLDERS,
  type CampaignFunctionId,
  type CampaignSettings,
  readCampaignDefinitionTemplate,
} from '../../workflows/campaign/contract.ts';
import { placeholdersIn, type Settings } from '../../workflows/rotate-device/contract.ts';
import { integrationsOf, UnsupportedIntegrationError } from '../asl-integrations.ts';
import { UnboundPlaceholderError, writeBakedDefinition } from './rotation-state-machine.ts';

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
 * The campaign state machine from `asl/campaign.asl.json`, deployed as the rotation one is: the
 * settings baked into a copy of the file (`bakeCampaignSettings`, as the local run renders it), the
 * function ARNs left to CloudFormation's DefinitionSubstitutions, every event logged without
 * execution data, traced with X-Ray. Its role may invoke exactly the functions its tasks name.
 */
export class CampaignStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The substitutions given to CloudFormation, by placeholder name. */
  readonly substitutions: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: CampaignStateMachineProps) {
    super(scope, id);
    const baked = bakeCampaignSettings(readCampaignDefinitionTemplate(), {
      rotation: props.workflowSettings,
      campaign: props.campaignSettings,
    });
    const substitutions: Record<string, string> = {};
    for (const [name, binding] of Object.entries(CAMPAIGN_PLACEHOLDERS)) {
      if (binding.kind === 'function') substitutions[name] = props.functions[binding.functionId].functionArn;
    }
    const unbound = placeholdersIn(baked).filter((name) => !(name in substitutions));
    if (unbound.length > 0) throw new UnboundPlaceholderError(unbound);
    this.substitutions = substitutions;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: 'recert campaign state machine',
    });
    const integrations = integrationsOf(JSON.parse(baked));
    // The campaign reads and writes its table only through its functions; a direct DynamoDB task
    // would need a grant this construct does not give.
    const [dynamoDbAction] = integrations.dynamoDbActions;
    if (dynamoDbAction !== undefined) throw new UnsupportedIntegrationError(dynamoDbAction);
    const functionArns = integrations.lambdaFunctions.map((ref) => {
      const name = /^\$\{([A-Za-z0-9_]+)\}$/.exec(ref)?.[1];
      const arn = name === undefined ? undefined : substitutions[name];
      if (arn === undefined) throw new UnboundPlaceholderError([ref]);
      return arn;
    });
    if (functionArns.length > 0) {
      // As for the rotation state machine: the functions and their versions and aliases.
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: functionArns.flatMap((arn) => [arn, `${arn}:*`]),
        }),
      );
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(
        writeBakedDefinition(this, BAKED_CAMPAIGN_DEFINITION_FILE, baked),
      ),
      definitionSubstitutions: substitutions,
      role: this.role,
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: sfn.LogLevel.ALL,
        // Kept as the rotation state machine's: an operator's list of things and certificates stays
        // in the execution history, not in a second place.
        includeExecutionData: false,
      },
    });
  }
}
