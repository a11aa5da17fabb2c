import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { SNSClient } from '@aws-sdk/client-sns';
import { SETTINGS } from '../../../workflows/rotate-device/settings.ts';
import { lambdaClientConfig, withoutCallLogging } from '../../shared/aws-client-config.ts';
import { CampaignCounters } from '../../shared/campaign-counters.ts';
import { dynamoDbClient, numberEnv, type RuntimeOptions, requiredEnv } from '../../shared/environment.ts';
import { lazyHandler, observabilityFor, runtimeOf, wrapHandler } from '../../shared/observability.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import { recordOutcome } from './outcome-recorder.ts';

export interface OutcomeRecorderHandlerDeps extends RuntimeOptions {
  readonly db: DynamoDBClient;
  readonly tableName: string;
  /** The campaign table whose counters this function moves; none counts nothing. */
  readonly campaignTableName?: string;
  readonly sns: SNSClient;
  /** Revokes the unproven certificate of an aborted rotation. */
  readonly iot: IoTClient;
  readonly stateMachineArn: string;
  readonly escalationTopicArn: string;
  /** How long a finished record is kept (TTL); default the RecordRetentionSeconds setting. */
  readonly retentionSeconds?: number;
}

export function createHandler(deps: OutcomeRecorderHandlerDeps) {
  const observability = observabilityFor('outcome-recorder', deps);
  const store = new RotationRecordStore(deps.db, deps.tableName);
  const campaigns = deps.campaignTableName
    ? new CampaignCounters(deps.db, deps.campaignTableName)
    : undefined;
  return wrapHandler(observability, async (event) =>
    recordOutcome(event, {
      store,
      ...(campaigns ? { campaigns } : {}),
      sns: deps.sns,
      iot: deps.iot,
      ...runtimeOf(observability, deps),
      stateMachineArn: deps.stateMachineArn,
      escalationTopicArn: deps.escalationTopicArn,
      retentionSeconds: deps.retentionSeconds ?? SETTINGS.RecordRetentionSeconds.default,
    }),
  );
}

export const handler = lazyHandler(() =>
  createHandler({
    db: dynamoDbClient(),
    tableName: requiredEnv('ROTATION_TABLE_NAME'),
    campaignTableName: requiredEnv('CAMPAIGN_TABLE_NAME'),
    sns: withoutCallLogging(new SNSClient(lambdaClientConfig())),
    iot: withoutCallLogging(new IoTClient(lambdaClientConfig())),
    stateMachineArn: requiredEnv('STATE_MACHINE_ARN'),
    escalationTopicArn: requiredEnv('ESCALATION_TOPIC_ARN'),
    retentionSeconds: numberEnv('RECORD_RETENTION_SECONDS', SETTINGS.RecordRetentionSeconds.default),
    ...(process.env.METRICS_NAMESPACE ? { metricsNamespace: process.env.METRICS_NAMESPACE } : {}),
  }),
);
