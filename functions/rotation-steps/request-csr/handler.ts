import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { RequestCsrInput } from '../../../workflows/rotate-device/types.ts';
import { lambdaClientConfig, withoutCallLogging } from '../../shared/aws-client-config.ts';
import { CampaignCounters } from '../../shared/campaign-counters.ts';
import { dynamoDbClient, type RuntimeOptions, requiredEnv } from '../../shared/environment.ts';
import { lazyHandler, observabilityFor, runtimeOf, wrapHandler } from '../../shared/observability.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import { parseStepInput } from '../../shared/step-input.ts';
import { requestCsr } from './request-csr.ts';

export interface RequestCsrHandlerDeps extends RuntimeOptions {
  readonly db: DynamoDBClient;
  readonly tableName: string;
  /** The campaign table whose counters this function moves; none counts nothing. */
  readonly campaignTableName?: string;
  readonly iotData: IoTDataPlaneClient;
}

export function createHandler(deps: RequestCsrHandlerDeps) {
  const observability = observabilityFor('request-csr', deps);
  const store = new RotationRecordStore(deps.db, deps.tableName);
  const campaigns = deps.campaignTableName
    ? new CampaignCounters(deps.db, deps.campaignTableName)
    : undefined;
  return wrapHandler(observability, async (event) => {
    const input = parseStepInput(RequestCsrInput, event, 'RequestCsr');
    observability.logger.appendKeys({ thingName: input.thingName, rotationId: input.rotationId });
    return requestCsr(input, {
      store,
      ...(campaigns ? { campaigns } : {}),
      iotData: deps.iotData,
      ...runtimeOf(observability, deps),
    });
  });
}

export const handler = lazyHandler(() =>
  createHandler({
    db: dynamoDbClient(),
    tableName: requiredEnv('ROTATION_TABLE_NAME'),
    campaignTableName: requiredEnv('CAMPAIGN_TABLE_NAME'),
    iotData: withoutCallLogging(
      new IoTDataPlaneClient({ ...lambdaClientConfig(), endpoint: requiredEnv('IOT_DATA_ENDPOINT') }),
    ),
    ...(process.env.METRICS_NAMESPACE ? { metricsNamespace: process.env.METRICS_NAMESPACE } : {}),
  }),
);
