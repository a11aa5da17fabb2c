import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { lambdaClientConfig, withoutCallLogging } from '../../shared/aws-client-config.ts';
import { dynamoDbClient, type RuntimeOptions, requiredEnv } from '../../shared/environment.ts';
import { lazyHandler, observabilityFor, reportingOf, wrapHandler } from '../../shared/observability.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import { resendPending } from './on-reconnect.ts';

export interface OnReconnectHandlerDeps extends RuntimeOptions {
  readonly db: DynamoDBClient;
  readonly tableName: string;
  readonly iotData: IoTDataPlaneClient;
}

export function createHandler(deps: OnReconnectHandlerDeps) {
  const observability = observabilityFor('on-reconnect', deps);
  const store = new RotationRecordStore(deps.db, deps.tableName);
  return wrapHandler(observability, async (event) =>
    resendPending(event, {
      store,
      iotData: deps.iotData,
      ...reportingOf(observability),
    }),
  );
}

export const handler = lazyHandler(() =>
  createHandler({
    db: dynamoDbClient(),
    tableName: requiredEnv('ROTATION_TABLE_NAME'),
    iotData: withoutCallLogging(
      new IoTDataPlaneClient({ ...lambdaClientConfig(), endpoint: requiredEnv('IOT_DATA_ENDPOINT') }),
    ),
    ...(process.env.METRICS_NAMESPACE ? { metricsNamespace: process.env.METRICS_NAMESPACE } : {}),
  }),
);
