import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { lambdaClientConfig, withoutCallLogging } from '../../shared/aws-client-config.ts';
import { CampaignCounters } from '../../shared/campaign-counters.ts';
import { booleanEnv, dynamoDbClient, type RuntimeOptions, requiredEnv } from '../../shared/environment.ts';
import { lazyHandler, observabilityFor, runtimeOf, wrapHandler } from '../../shared/observability.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import { handleDeviceReply } from './device-reply.ts';

export interface DeviceReplyHandlerDeps extends RuntimeOptions {
  readonly db: DynamoDBClient;
  readonly tableName: string;
  /** The campaign table whose counters this function moves; none counts nothing. */
  readonly campaignTableName?: string;
  readonly sfn: SFNClient;
  /** Default true: devices built for the bare blog protocol keep working where unambiguous. */
  readonly acceptMissingRotationId?: boolean;
}

export function createHandler(deps: DeviceReplyHandlerDeps) {
  const observability = observabilityFor('device-reply', deps);
  const store = new RotationRecordStore(deps.db, deps.tableName);
  const campaigns = deps.campaignTableName
    ? new CampaignCounters(deps.db, deps.campaignTableName)
    : undefined;
  return wrapHandler(observability, async (event) =>
    handleDeviceReply(event, {
      store,
      ...(campaigns ? { campaigns } : {}),
      sfn: deps.sfn,
      ...runtimeOf(observability, deps),
      acceptMissingRotationId: deps.acceptMissingRotationId ?? true,
    }),
  );
}

export const handler = lazyHandler(() =>
  createHandler({
    db: dynamoDbClient(),
    tableName: requiredEnv('ROTATION_TABLE_NAME'),
    campaignTableName: requiredEnv('CAMPAIGN_TABLE_NAME'),
    sfn: withoutCallLogging(new SFNClient(lambdaClientConfig())),
    acceptMissingRotationId: booleanEnv('ACCEPT_REPLIES_WITHOUT_ROTATION_ID', true),
    ...(process.env.METRICS_NAMESPACE ? { metricsNamespace: process.env.METRICS_NAMESPACE } : {}),
  }),
);
