import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { placeholdersIn } from '../../workflows/rotate-device/contract.ts';

export class UnboundPlaceholderError extends Error {
  constructor(names: readonly string[]) {
    super(`the state machine definition has placeholders this stack cannot bind: ${names.join(', ')}`);
    this.name = 'UnboundPlaceholderError';
  }
}

export interface FileDefinedStateMachineProps {
  readonly stateMachineName: string;
  /** The description of the state machine's role. */
  readonly roleDescription: string;
  /** The definition with the settings already baked in; `${...}` placeholders remain. */
  readonly definition: string;
  /** The name the baked definition is written under in the synthesis output. */
  readonly definitionFileName: string;
  /** What CloudFormation's DefinitionSubstitutions put in for each placeholder, by name. */
  readonly substitutions: Readonly<Record<string, string>>;
  readonly logRetentionDays: number;
}

/**
 * A standard state machine from an ASL file, settings baked into the text first (DefinitionSubstitutions
 * only replace text inside JSON strings; Retry fields are numbers), its role filled by the stack.
 */
export class FileDefinedStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The substitutions given to CloudFormation, by placeholder name. */
  readonly substitutions: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: FileDefinedStateMachineProps) {
    super(scope, id);
    const { definition, substitutions } = props;
    const unbound = placeholdersIn(definition).filter((name) => !(name in substitutions));
    if (unbound.length > 0) throw new UnboundPlaceholderError(unbound);
    this.substitutions = substitutions;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: props.roleDescription,
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy short for many state machines.
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(
        writeBakedDefinition(this, props.definitionFileName, definition),
      ),
      definitionSubstitutions: substitutions,
      role: this.role,
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: sfn.LogLevel.ALL,
        // Execution data carries CSRs, certificates, task tokens and an operator's lists of things:
        // the execution history keeps it for operators, the logs keep only the events.
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
