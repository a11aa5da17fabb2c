import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  bakeSettings,
  type FunctionId,
  PLACEHOLDERS,
  placeholdersIn,
  readDefinitionTemplate,
  type Settings,
} from '../../workflows/rotate-device/contract.ts';
import { integrationsOf } from '../asl-integrations.ts';

export interface RotationStateMachineProps {
  readonly stateMachineName: string;
  readonly workflowSettings: Settings;
  readonly functions: Readonly<Record<FunctionId, lambda.IFunction>>;
  readonly tableName: string;
  readonly tableArn: string;
  readonly logRetentionDays: number;
}

export class UnboundPlaceholderError extends Error {
  constructor(names: readonly string[]) {
    super(`the state machine definition has placeholders this stack cannot bind: ${names.join(', ')}`);
    this.name = 'UnboundPlaceholderError';
  }
}

/** The file name of the definition with the settings baked in, in the synthesis output. */
export const BAKED_DEFINITION_FILE = 'recert-rotate-device.asl.json';

/**
 * The rotate-device state machine from `asl/rotate-device.asl.json`. CloudFormation's
 * DefinitionSubstitutions replace text inside JSON strings, but Retry fields must be JSON numbers,
 * so the settings are baked into a copy of the file first (`bakeSettings`, the same function the
 * local run uses) and only the function ARNs and the table name are left to CloudFormation.
 */
export class RotationStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The substitutions given to CloudFormation, by placeholder name. */
  readonly substitutions: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: RotationStateMachineProps) {
    super(scope, id);
    const baked = bakeSettings(readDefinitionTemplate(), props.workflowSettings);
    const substitutions: Record<string, string> = {};
    for (const [name, binding] of Object.entries(PLACEHOLDERS)) {
      if (binding.kind === 'function') substitutions[name] = props.functions[binding.functionId].functionArn;
      else if (binding.kind === 'table') substitutions[name] = props.tableName;
    }
    const unbound = placeholdersIn(baked).filter((name) => !(name in substitutions));
    if (unbound.length > 0) throw new UnboundPlaceholderError(unbound);
    this.substitutions = substitutions;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: 'recert rotate-device state machine',
    });
    // Exactly what the definition calls: the functions of its lambda:invoke tasks (and their
    // versions and aliases) and the DynamoDB actions of its optimised integrations, on the table.
    const integrations = integrationsOf(JSON.parse(baked));
    const functionArns = integrations.lambdaFunctions.map((ref) => {
      const name = /^\$\{([A-Za-z0-9_]+)\}$/.exec(ref)?.[1];
      const arn = name === undefined ? undefined : substitutions[name];
      if (arn === undefined) throw new UnboundPlaceholderError([ref]);
      return arn;
    });
    if (functionArns.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: functionArns.flatMap((arn) => [arn, `${arn}:*`]),
        }),
      );
    }
    if (integrations.dynamoDbActions.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [...integrations.dynamoDbActions], resources: [props.tableArn] }),
      );
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy short for many state machines.
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(writeBakedDefinition(this, BAKED_DEFINITION_FILE, baked)),
      definitionSubstitutions: substitutions,
      role: this.role,
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: sfn.LogLevel.ALL,
        // Execution data carries CSRs, certificates and task tokens: the history in the console keeps
        // it for operators, the logs keep only the events.
        includeExecutionData: false,
      },
    });
  }
}

/** Writes a baked definition into the synthesis output, where the asset is staged from. */
export function writeBakedDefinition(scope: Construct, fileName: string, definition: string): string {
  const outdir = Stage.of(scope)?.outdir;
  if (!outdir) throw new UnboundPlaceholderError(['(no CDK App or Stage to write the definition into)']);
  const dir = join(outdir, 'recert-definitions', Stack.of(scope).artifactId);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileName);
  writeFileSync(path, definition);
  return path;
}
