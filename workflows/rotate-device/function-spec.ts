import type { ZodType } from 'zod';
import type { IssuerKind } from './api-calls.ts';

/**
 * The shape of a workflow function's description (`FUNCTIONS`, `CAMPAIGN_FUNCTIONS`): what starts
 * it, its environment, and the AWS actions it may take, by resource role.
 */

/** What invokes a function. */
export type FunctionTrigger =
  | {
      kind: 'state-machine-task';
      state: string;
      waitForTaskToken: boolean;
      /** The state machine whose task it is (the rotate-device one when absent). */
      stateMachine?: 'campaign';
    }
  | { kind: 'sns'; topic: 'auditNotifications' }
  | { kind: 'iot-rule'; rule: string }
  | { kind: 'eventbridge'; source: 'aws.states'; detailType: 'Step Functions Execution Status Change' }
  /** A schedule: EventBridge on AWS, a timer on the local clock in the local stack. */
  | { kind: 'schedule'; rateMinutes: number };

/**
 * What a grant applies to, by role; the deployer maps each to ARNs. Each role names the resource
 * type AWS's Service Authorization Reference authorizes its actions on:
 * - rotationTable: the table itself; rotationTableIndexes: its indexes (a Query of byStatus);
 * - campaignTable: the campaign table (it has no index);
 * - stateMachine / executions: the rotate-device state machine and its executions;
 * - campaignStateMachine / campaignExecutions: the same for the campaign state machine;
 * - escalationTopic: the SNS topic for failed rotations;
 * - managementTopics: `arn:aws:iot:<region>:<account>:topic/management/topic/*`;
 * - iotCertificates: `cert/*`, the target of AttachPolicy / DetachPolicy and the principal of
 *   AttachThingPrincipal / DetachThingPrincipal / ListPrincipalThings;
 * - iotThings: `thing/*` (ListThingPrincipals, DescribeThing);
 * - topicKey: the KMS key that encrypts the SNS topics (a publisher to an encrypted topic needs it);
 * - privateCertificateAuthority: the ACM Private CA the deployment issues with;
 * - stack: the recert CloudFormation stack (the CLI reads its outputs);
 * - any: `*`, for actions the reference gives no resource type (CreateCertificateFromCsr,
 *   ListAttachedPolicies, ListAuditFindings, SendTaskSuccess, ...).
 */
export type ResourceRole =
  | 'rotationTable'
  | 'rotationTableIndexes'
  | 'campaignTable'
  | 'campaignStateMachine'
  | 'campaignExecutions'
  | 'stateMachine'
  | 'executions'
  | 'escalationTopic'
  | 'managementTopics'
  | 'iotCertificates'
  | 'iotThings'
  | 'topicKey'
  | 'privateCertificateAuthority'
  | 'stack'
  | 'any';

export interface Grant {
  readonly actions: readonly string[];
  readonly resource: ResourceRole;
  /**
   * For a table: the only partition key values the actions may touch (IAM's `dynamodb:LeadingKeys`),
   * so a function that owns one partition of a shared table cannot reach the rest.
   */
  readonly leadingKeys?: readonly string[];
}

/** How `functions/shared/define-function.ts` reads a variable's text: a string unless said otherwise. */
export type EnvValueType = 'string' | 'number' | 'wholeNumber' | 'boolean' | 'list';

export interface EnvVarSpec {
  readonly name: string;
  /**
   * The setting's name in the function's code, which reads it from here (by this key, never by the
   * variable's name). None: the variable is read as a group, by the module that owns it (the pacing).
   */
  readonly key?: string;
  /** `number`: finite and >= 0; `wholeNumber`: an integer >= 1; `list`: comma-separated. */
  readonly type?: EnvValueType;
  /** The only values the variable may take. */
  readonly values?: readonly string[];
  readonly required: boolean;
  /**
   * What the function does without the setting, where a run outside Lambda (the local stack, tests)
   * may leave out a variable that a deployment always sets.
   */
  readonly whenAbsent?: string;
  /** Where the value comes from when it is not a plain default. */
  /** `lambdaRuntime`: Lambda sets it; a deployment must not (a local run passes it). */
  readonly source:
    | 'rotationTable'
    | 'campaignTable'
    | 'campaignStateMachine'
    | 'stateMachine'
    | 'escalationTopic'
    | 'iotDataEndpoint'
    | 'setting'
    | 'lambdaRuntime';
  readonly default?: string;
  readonly description: string;
}

/**
 * The event a state machine's task hands the function: parsed with `schema` before the function
 * runs (the error names the state), and `logKeys` of it added to every log line of the invocation.
 */
export interface TaskEventSpec {
  readonly schema: ZodType;
  readonly logKeys: readonly string[];
}

export interface FunctionSpec<Id extends string> {
  readonly id: Id;
  /** Relative to the repository root. */
  readonly entry: string;
  /** The module exports `handler` (for Lambda) and `createHandler(deps)` (for tests and local). */
  readonly handlerExport: 'handler';
  readonly factoryExport: 'createHandler';
  readonly description: string;
  readonly trigger: FunctionTrigger;
  readonly environment: readonly EnvVarSpec[];
  /** A task's input, which the function parses in one place; an event-triggered function judges its own. */
  readonly event?: TaskEventSpec;
  readonly permissions: readonly Grant[];
  /** Grants that depend on who signs the certificates (the deployment's issuer), added to `permissions`. */
  readonly issuerPermissions?: Readonly<Record<IssuerKind, readonly Grant[]>>;
  readonly timeoutSeconds: number;
}
