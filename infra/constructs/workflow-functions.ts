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
import type { FunctionSpec } from '../../workflows/rotate-device/contract.ts';
import { assertEntriesExist } from '../repository.ts';
import type { DeploymentSettings } from '../settings.ts';
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
export const PACING_ENV = {
  startsPerSecond: 'PACING_STARTS_PER_SECOND',
  maxInFlight: 'PACING_MAX_IN_FLIGHT',
  failureRateThreshold: 'PACING_FAILURE_RATE_THRESHOLD',
  minFinishedForFailureRate: 'PACING_MIN_FINISHED',
  quotas: 'PACING_QUOTAS',
  headroom: 'PACING_HEADROOM',
} as const;

/** Function environment variables recert's deployment adds to what the contract lists. */
export const ISSUER_ENV = {
  issuer: 'CERTIFICATE_ISSUER',
  privateCaArn: 'PRIVATE_CA_ARN',
  validityDays: 'CERTIFICATE_VALIDITY_DAYS',
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

/**
 * Values of the contract's `setting` variables that a deployment decides. Pacing figures the
 * operator did not set stay unset: the fan-out derives them from the quotas, as the synthesis did.
 */
function settingValue(settings: DeploymentSettings, variable: string): string | undefined {
  const pacing = settings.pacing;
  const text = (value: number | undefined) => (value === undefined ? undefined : String(value));
  switch (variable) {
    case PACING_ENV.startsPerSecond:
      return text(pacing.overrides.startsPerSecond);
    case PACING_ENV.maxInFlight:
      return text(pacing.overrides.maxInFlight);
    case PACING_ENV.failureRateThreshold:
      return text(pacing.overrides.failureRateThreshold);
    case PACING_ENV.minFinishedForFailureRate:
      return text(pacing.overrides.minFinishedForFailureRate);
    case PACING_ENV.quotas:
      return Object.keys(pacing.quotas).length === 0 ? undefined : JSON.stringify(pacing.quotas);
    case PACING_ENV.headroom:
      return text(pacing.headroom);
    case ISSUER_ENV.issuer:
      return settings.issuer.kind;
    case 'METRICS_NAMESPACE':
      return settings.metricsNamespace;
    case 'AUDIT_CHECK_NAMES':
      return settings.audit.checks.join(',');
    case 'CSR_REQUIRE_CN_MATCH':
      return String(settings.csrRequireCnMatch);
    case 'ACCEPT_REPLIES_WITHOUT_ROTATION_ID':
      return String(settings.acceptRepliesWithoutRotationId);
    case 'OLD_CERTIFICATE_GRACE_DAYS':
      return String(settings.oldCertificateGraceDays);
    case 'SWEEP_DELETES_PER_SECOND':
      return String(settings.sweepDeletesPerSecond);
    default:
      return undefined;
  }
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
      environment: { ...environmentOf(spec, props), NODE_OPTIONS: '--enable-source-maps' },
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
    POWERTOOLS_SERVICE_NAME: 'recert',
    POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
    POWERTOOLS_LOG_LEVEL: settings.logLevel,
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
        value = settingValue(settings, variable.name) ?? variable.default;
        break;
    }
    if (value === undefined) {
      if (variable.required) throw new ContractEnvironmentError(spec.id, variable.name);
      continue;
    }
    env[variable.name] = value;
  }
  if (spec.id === 'issue-certificate') {
    env[ISSUER_ENV.issuer] = settings.issuer.kind;
    if (settings.issuer.kind === 'acm-pca') {
      env[ISSUER_ENV.privateCaArn] = settings.issuer.certificateAuthorityArn;
      env[ISSUER_ENV.validityDays] = String(settings.issuer.validityDays);
    }
  }
  return env;
}
