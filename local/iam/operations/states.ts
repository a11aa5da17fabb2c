/**
 * What Step Functions authorizes each operation as (Service Authorization Reference), ARNs from the body.
 * `RecertLocal.*` targets serve the local tooling unauthorized, so they are not mapped here.
 */
import type { AuthorizationRequest, RequestContext } from '../types.ts';
import {
  arn,
  arrayField,
  authorize,
  type OperationMapping as Mapping,
  passRole,
  permissionsOf,
  requiredField,
  stringField,
  tagContext,
  wildcard,
} from './shared.ts';

const TARGET_PREFIX = /^AWSStepFunctions\./;
const STATES_SERVICE_PRINCIPAL = 'states.amazonaws.com';

/** True for the local server's own targets (`RecertLocal.GetBilling`), which IAM never sees. */
export const isLocalOnlyStatesTarget = (target: string): boolean => target.startsWith('RecertLocal.');

const required = (input: unknown, name: string, operation: string): string =>
  requiredField(input, name, 'states', operation);

/** `arn:…:stateMachine:<name>:<version or alias>` → `{ 'states:StateMachineQualifier': … }`. */
function qualifierContext(stateMachineArn: string): RequestContext | undefined {
  const match = /:stateMachine:[^:]+:([^:]+)$/.exec(stateMachineArn);
  return match?.[1] === undefined ? undefined : { 'states:StateMachineQualifier': match[1] };
}

const rolePassed = (input: unknown): AuthorizationRequest[] => {
  const role = stringField(input, 'roleArn');
  return role === undefined ? [] : [passRole(role, STATES_SERVICE_PRINCIPAL)];
};

/** An action on the ARN a body field names (an execution or state machine ARN). */
const onField =
  (action: string, field: 'executionArn' | 'stateMachineArn'): Mapping =>
  (input, _scope, operation) => [authorize(action, required(input, field, operation))];

/** An action on the state machine a body field names, with its qualifier when it has one. */
const onStateMachine =
  (action: string): Mapping =>
  (input, _scope, operation) => {
    const stateMachine = required(input, 'stateMachineArn', operation);
    return [authorize(action, stateMachine, qualifierContext(stateMachine))];
  };

const MAPPINGS: Readonly<Record<string, Mapping>> = {
  CreateStateMachine: (input, scope, operation) => [
    authorize(
      'states:CreateStateMachine',
      arn(scope, 'states', `stateMachine:${required(input, 'name', operation)}`),
      tagContext(arrayField(input, 'tags'), 'key', 'value'),
    ),
    ...rolePassed(input),
  ],
  UpdateStateMachine: (input, _scope, operation) => [
    authorize('states:UpdateStateMachine', required(input, 'stateMachineArn', operation)),
    ...rolePassed(input),
  ],
  DescribeStateMachine: onStateMachine('states:DescribeStateMachine'),
  DescribeStateMachineForExecution: onField('states:DescribeStateMachineForExecution', 'executionArn'),
  ListStateMachines: wildcard('states:ListStateMachines'),
  DeleteStateMachine: onField('states:DeleteStateMachine', 'stateMachineArn'),
  StartExecution: onStateMachine('states:StartExecution'),
  DescribeExecution: onField('states:DescribeExecution', 'executionArn'),
  // On the state machine, or on the Map Run when the request lists a Distributed Map's children.
  ListExecutions: (input, scope, operation) => {
    const mapRun = stringField(input, 'mapRunArn');
    if (mapRun !== undefined) return [authorize('states:ListExecutions', mapRun)];
    return onStateMachine('states:ListExecutions')(input, scope, operation);
  },
  GetExecutionHistory: onField('states:GetExecutionHistory', 'executionArn'),
  StopExecution: onField('states:StopExecution', 'executionArn'),
  RedriveExecution: onField('states:RedriveExecution', 'executionArn'),
  // A task token names no resource: the reference authorizes these on `*`.
  SendTaskSuccess: wildcard('states:SendTaskSuccess'),
  SendTaskFailure: wildcard('states:SendTaskFailure'),
  SendTaskHeartbeat: wildcard('states:SendTaskHeartbeat'),
};

/** The AWS operations of the local Step Functions server, by bare name (`StartExecution`). */
export const STATES_OPERATIONS: readonly string[] = Object.freeze(Object.keys(MAPPINGS));

/** `operation` is the bare name or the `X-Amz-Target` (`AWSStepFunctions.StartExecution`). */
export const statesPermissions = permissionsOf(MAPPINGS, 'states', TARGET_PREFIX);
