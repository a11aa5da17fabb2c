import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IoTClient } from '@aws-sdk/client-iot';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The deployed resources a command works on: the CDK stack's outputs, or the local manifest's. */
export interface TargetResources {
  readonly region: string;
  readonly stateMachineArn: string;
  readonly rotationTableName: string;
  readonly escalationTopicArn: string;
  readonly auditTopicArn: string;
  /**
   * The campaign table and state machine (fleet rotations paced under AWS's quotas). Absent for a
   * deployment or a local AWS from before campaigns: the campaign commands then say so.
   */
  readonly campaignTableName?: string;
  readonly campaignStateMachineArn?: string;
}

/**
 * Where commands run. AWS and the local AWS differ only in the clients' endpoints and the
 * resources; every command takes a Target and never asks which one it is, except to print a
 * console link.
 */
export interface Target {
  readonly kind: 'aws' | 'local';
  readonly resources: TargetResources;
  readonly sfn: SFNClient;
  readonly iot: IoTClient;
  readonly dynamodb: DynamoDBClient;
  readonly db: DynamoDBDocumentClient;
  /** The Step Functions console page of an execution (AWS only). */
  consoleLink(executionArn: string): string | undefined;
  close(): void;
}

/** The Step Functions console page of an execution, as the AWS console addresses it. */
export function executionConsoleLink(region: string, executionArn: string): string {
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}
