/**
 * What each local service authorizes an operation as, over the per-service maps; throws
 * UnknownOperationError when unmapped, OperationInputError when the resource's parameter is missing.
 */
import type { AuthorizationRequest } from '../types.ts';
import { ACM_PCA_OPERATIONS, acmPcaPermissions } from './acm-pca.ts';
import { DYNAMODB_OPERATIONS, type DynamoDbScope, dynamodbPermissions } from './dynamodb.ts';
import { EVENTS_OPERATIONS, eventsPermissions } from './events.ts';
import {
  IOT_DATA_OPERATIONS,
  IOT_OPERATIONS,
  type IotOperationInput,
  iotDataPermissions,
  iotPermissions,
} from './iot.ts';
import type { OperationScope } from './shared.ts';
import { SNS_OPERATIONS, type SnsOperationInput, snsPermissions } from './sns.ts';
import { STATES_OPERATIONS, statesPermissions } from './states.ts';

export { DEFAULT_TEMPLATE_ARN } from './acm-pca.ts';
export { attributeValueString, type DynamoDbScope, partitionValueOfKeyCondition } from './dynamodb.ts';
export type { IotOperationInput } from './iot.ts';
export { OperationInputError, type OperationScope, UnknownOperationError } from './shared.ts';
export type { SnsOperationInput } from './sns.ts';
export { isLocalOnlyStatesTarget } from './states.ts';
export {
  ACM_PCA_OPERATIONS,
  DYNAMODB_OPERATIONS,
  EVENTS_OPERATIONS,
  IOT_DATA_OPERATIONS,
  IOT_OPERATIONS,
  SNS_OPERATIONS,
  STATES_OPERATIONS,
};

export type LocalService = 'iot' | 'iotdata' | 'states' | 'dynamodb' | 'sns' | 'events' | 'acm-pca';

/** The parsed request each service's map reads. */
export interface ServiceInputs {
  readonly iot: IotOperationInput;
  readonly iotdata: IotOperationInput;
  /** The JSON bodies of the awsJson services. */
  readonly states: unknown;
  readonly dynamodb: unknown;
  readonly events: unknown;
  readonly 'acm-pca': unknown;
  /** The awsQuery form parameters. */
  readonly sns: SnsOperationInput;
}

/** DynamoDB also needs each table's partition key name, for `dynamodb:LeadingKeys`. */
export type ServiceScope<S extends LocalService> = S extends 'dynamodb' ? DynamoDbScope : OperationScope;

/** The operations each service's map knows, by the name its wire protocol gives them. */
export const OPERATIONS: Readonly<Record<LocalService, readonly string[]>> = {
  iot: IOT_OPERATIONS,
  iotdata: IOT_DATA_OPERATIONS,
  states: STATES_OPERATIONS,
  dynamodb: DYNAMODB_OPERATIONS,
  sns: SNS_OPERATIONS,
  events: EVENTS_OPERATIONS,
  'acm-pca': ACM_PCA_OPERATIONS,
};

/** The authorizations (never none) AWS makes for `operation` of `service` with this request. */
export function requiredPermissions<S extends LocalService>(
  service: S,
  operation: string,
  input: ServiceInputs[S],
  scope: ServiceScope<S>,
): readonly AuthorizationRequest[] {
  // Each case reads the input and scope its own service declares in ServiceInputs / ServiceScope.
  switch (service) {
    case 'iot':
      return iotPermissions(operation, input as IotOperationInput, scope);
    case 'iotdata':
      return iotDataPermissions(operation, input as IotOperationInput, scope);
    case 'states':
      return statesPermissions(operation, input, scope);
    case 'dynamodb':
      return dynamodbPermissions(operation, input, scope as DynamoDbScope);
    case 'sns':
      return snsPermissions(operation, input as SnsOperationInput, scope);
    case 'events':
      return eventsPermissions(operation, input, scope);
    case 'acm-pca':
      return acmPcaPermissions(operation, input, scope);
    default:
      throw new Error(`unknown local service '${String(service satisfies never)}'`);
  }
}
