import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  DEPLOYED_FUNCTION_IDS,
  type DeployedFunctionId,
  functionSpec,
} from '../../workflows/access/identity-policies.ts';
import type { CAMPAIGN_FUNCTIONS, CampaignFunctionId } from '../../workflows/campaign/contract.ts';
import {
  CERTIFICATE_VALIDITY_ENV,
  DEPLOYED_RUNTIME_ENV,
  type EnvVarSpec,
  type FUNCTIONS,
  type FunctionId,
  type FunctionSpec,
  ISSUER_KIND_ENV,
  PACING_VARIABLES,
  type PacingVariable,
  PRIVATE_CA_ARN_ENV,
} from '../../workflows/rotate-device/contract.ts';
import { assertEntriesExist } from '../repository.ts';
import type { CertificateIssuer, DeploymentSettings } from '../settings.ts';
import { nodeFunctionBase } from './node-function.ts';

/** What the functions' environment names: the deployed tables, state machines and topic. */
export interface FunctionResources {
  readonly tableName: string;
  readonly stateMachineArn: string;
  readonly campaignTableName: string;
  readonly campaignStateMachineArn: string;
  readonly escalationTopicArn: string;
}

export interface WorkflowFunctionsProps {
  readonly settings: DeploymentSettings;
  readonly resources: FunctionResources;
  /** `https://<prefix>-ats.iot.<region>.amazonaws.com` (a token when looked up at deploy time). */
  readonly iotDataEndpointUrl: string;
}

export class ContractEnvironmentError extends Error {
  constructor(functionId: string, variable: string) {
    super(`function ${functionId} needs ${variable}, which has no value in this deployment and no default`);
    this.name = 'ContractEnvironmentError';
  }
}

export { DEPLOYED_FUNCTION_IDS, type DeployedFunctionId, functionSpec };

/** The pacing variables of the audit fan-out, which starts each campaign with its pacing. */
export const PACING_ENV = Object.fromEntries(
  Object.entries(PACING_VARIABLES).map(([figure, variable]) => [figure, variable.name]),
) as { readonly [F in PacingVariable]: (typeof PACING_VARIABLES)[F]['name'] };

/** The issuer's variables of the issue function, as its contract names them. */
export const ISSUER_ENV = {
  issuer: ISSUER_KIND_ENV.name,
  privateCaArn: PRIVATE_CA_ARN_ENV.name,
  validityDays: CERTIFICATE_VALIDITY_ENV.name,
} as const;

/**
 * Variables the Lambda runtime sets itself; a function configuration may not set them (Lambda
 * refuses the update), so the contract's need for them is met by the runtime.
 */
export const LAMBDA_RESERVED_ENV: ReadonlySet<string> = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_DEFAULT_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_LAMBDA_RUNTIME_API',
  'AWS_REGION',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'LAMBDA_RUNTIME_DIR',
  'LAMBDA_TASK_ROOT',
]);

/** IAM descriptions take at most 1000 Latin-1 characters; anything else would fail the deployment. */
function iamDescription(text: string): string {
  return text.replace(/[^\t\n\r\x20-\x7E\xA1-\xFF]/g, '-').slice(0, 1000);
}

/** A `setting` variable of the contract, by the key its function reads it by. */
type ContractVariable =
  | (typeof FUNCTIONS)[FunctionId]['environment'][number]
  | (typeof CAMPAIGN_FUNCTIONS)[CampaignFunctionId]['environment'][number];
type SettingKey = Extract<ContractVariable, { readonly source: 'setting'; readonly key: string }>['key'];
type FromSettings = (settings: DeploymentSettings) => string | undefined;

const text = (value: number | undefined) => (value === undefined ? undefined : String(value));
type PrivateCa = Extract<CertificateIssuer, { readonly kind: 'acm-pca' }>;
const privateCa = <T>(settings: DeploymentSettings, value: (ca: PrivateCa) => T): T | undefined =>
  settings.issuer.kind === 'acm-pca' ? value(settings.issuer) : undefined;

/** The `setting` variables a deployment decides, by key; the others keep their contract default. */
const SETTING_VALUES: { readonly [K in SettingKey]?: FromSettings } = {
  metricsNamespace: (s) => s.metricsNamespace,
  checkNames: (s) => s.audit.checks.join(','),
  requireCnMatch: (s) => String(s.csrRequireCnMatch),
  acceptMissingRotationId: (s) => String(s.acceptRepliesWithoutRotationId),
  graceDays: (s) => String(s.oldCertificateGraceDays),
  sweepDeletesPerSecond: (s) => String(s.sweepDeletesPerSecond),
  issuerKind: (s) => s.issuer.kind,
  privateCaArn: (s) => privateCa(s, (ca) => ca.certificateAuthorityArn),
  validityDays: (s) => privateCa(s, (ca) => String(ca.validityDays)),
};

/** The pacing figures the operator did not set stay unset: the fan-out derives them from the quotas. */
const PACING_VALUES: { readonly [F in PacingVariable]: FromSettings } = {
  startsPerSecond: (s) => text(s.pacing.overrides.startsPerSecond),
  maxInFlight: (s) => text(s.pacing.overrides.maxInFlight),
  failureRateThreshold: (s) => text(s.pacing.overrides.failureRateThreshold),
  minFinishedForFailureRate: (s) => text(s.pacing.overrides.minFinishedForFailureRate),
  quotas: (s) => (Object.keys(s.pacing.quotas).length === 0 ? undefined : JSON.stringify(s.pacing.quotas)),
  headroom: (s) => text(s.pacing.headroom),
};
const PACING_BY_NAME = new Map<string, FromSettings>(
  (Object.keys(PACING_VARIABLES) as PacingVariable[]).map((f) => [
    PACING_VARIABLES[f].name,
    PACING_VALUES[f],
  ]),
);

/** The deployment's value of a `setting` variable: by its key, or as one of the pacing group. */
function settingValue(settings: DeploymentSettings, variable: EnvVarSpec): string | undefined {
  const fromSettings =
    variable.key === undefined
      ? PACING_BY_NAME.get(variable.name)
      : (SETTING_VALUES as Readonly<Record<string, FromSettings>>)[variable.key];
  return fromSettings?.(settings);
}

/**
 * One Lambda function per `FUNCTIONS` and `CAMPAIGN_FUNCTIONS` entry: esbuild-bundled (no Docker), Node.js
 * 22 on arm64, its own log group, and a role the stack fills from `workflows/access/`.
 */
export class WorkflowFunctions extends Construct {
  readonly functions: Readonly<Record<DeployedFunctionId, lambda.Function>>;
  readonly roles: Readonly<Record<DeployedFunctionId, iam.Role>>;
  readonly logGroups: Readonly<Record<DeployedFunctionId, logs.LogGroup>>;

  constructor(scope: Construct, id: string, props: WorkflowFunctionsProps) {
    super(scope, id);
    assertEntriesExist(DEPLOYED_FUNCTION_IDS.map((fid) => functionSpec(fid).entry));
    const functions = {} as Record<DeployedFunctionId, lambda.Function>;
    const roles = {} as Record<DeployedFunctionId, iam.Role>;
    const logGroups = {} as Record<DeployedFunctionId, logs.LogGroup>;
    for (const fid of DEPLOYED_FUNCTION_IDS) {
      const spec = functionSpec(fid);
      const { fn, role, logGroup } = this.buildFunction(spec, props);
      functions[fid] = fn;
      roles[fid] = role;
      logGroups[fid] = logGroup;
    }
    this.functions = functions;
    this.roles = roles;
    this.logGroups = logGroups;
  }

  private buildFunction(spec: FunctionSpec<DeployedFunctionId>, props: WorkflowFunctionsProps) {
    const { settings } = props;
    const logGroup = new logs.LogGroup(this, `${spec.id}-logs`, {
      retention: settings.logRetentionDays,
    });
    const role = new iam.Role(this, `${spec.id}-role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: iamDescription(`recert ${spec.id}: ${spec.description}`),
    });
    const fn = new NodejsFunction(this, spec.id, {
      ...nodeFunctionBase(spec.entry),
      handler: spec.handlerExport,
      timeout: Duration.seconds(spec.timeoutSeconds),
      description: spec.description.slice(0, 256),
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        ...environmentOf(spec, props),
        [DEPLOYED_RUNTIME_ENV.nodeOptions]: '--enable-source-maps',
      },
    });
    return { fn, role, logGroup };
  }
}

/** The contract's environment of one function, resolved for this deployment. */
export function environmentOf(
  spec: FunctionSpec<DeployedFunctionId>,
  props: WorkflowFunctionsProps,
): Record<string, string> {
  const { settings, resources } = props;
  const env: Record<string, string> = {
    [DEPLOYED_RUNTIME_ENV.serviceName]: 'recert',
    [DEPLOYED_RUNTIME_ENV.metricsNamespace]: settings.metricsNamespace,
    [DEPLOYED_RUNTIME_ENV.logLevel]: settings.logLevel,
  };
  for (const variable of spec.environment) {
    // The runtime sets these; Lambda refuses a configuration that sets them.
    if (variable.source === 'lambdaRuntime' || LAMBDA_RESERVED_ENV.has(variable.name)) continue;
    let value: string | undefined;
    switch (variable.source) {
      case 'rotationTable':
        value = resources.tableName;
        break;
      case 'stateMachine':
        value = resources.stateMachineArn;
        break;
      case 'campaignTable':
        value = resources.campaignTableName;
        break;
      case 'campaignStateMachine':
        value = resources.campaignStateMachineArn;
        break;
      case 'escalationTopic':
        value = resources.escalationTopicArn;
        break;
      case 'iotDataEndpoint':
        value = props.iotDataEndpointUrl;
        break;
      case 'setting':
        value = settingValue(settings, variable) ?? variable.default;
        break;
    }
    if (value === undefined) {
      if (variable.required) throw new ContractEnvironmentError(spec.id, variable.name);
      continue;
    }
    env[variable.name] = value;
  }
  return env;
}
