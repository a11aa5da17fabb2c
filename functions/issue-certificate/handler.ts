import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { IssueCertificateInput } from '../../workflows/rotate-device/types.ts';
import { lambdaClientConfig, withoutCallLogging } from '../shared/aws-client-config.ts';
import {
  booleanEnv,
  defaultClock,
  dynamoDbClient,
  type RuntimeOptions,
  requiredEnv,
} from '../shared/environment.ts';
import { counterOf, createObservability, lazyHandler, logOf, wrapHandler } from '../shared/observability.ts';
import { RotationRecordStore } from '../shared/rotation-record.ts';
import { parseStepInput } from '../shared/step-input.ts';
import { issueAndDeliver } from './issue-and-deliver.ts';

export interface IssueCertificateHandlerDeps extends RuntimeOptions {
  readonly db: DynamoDBClient;
  readonly tableName: string;
  readonly iot: IoTClient;
  readonly iotData: IoTDataPlaneClient;
  /** Default true: the CSR subject CN must be the thing name. */
  readonly requireCnMatch?: boolean;
}

export function createHandler(deps: IssueCertificateHandlerDeps) {
  const observability = createObservability('issue-certificate', {
    ...(deps.logLevel ? { logLevel: deps.logLevel } : {}),
    ...(deps.metricsNamespace ? { namespace: deps.metricsNamespace } : {}),
  });
  const store = new RotationRecordStore(deps.db, deps.tableName);
  return wrapHandler(observability, async (event) => {
    const input = parseStepInput(IssueCertificateInput, event, 'IssueAndDeliver');
    observability.logger.appendKeys({ thingName: input.thingName, rotationId: input.rotationId });
    return issueAndDeliver(input, {
      store,
      iot: deps.iot,
      iotData: deps.iotData,
      clock: deps.clock ?? defaultClock,
      log: logOf(observability.logger),
      counter: counterOf(observability.metrics),
      requireCnMatch: deps.requireCnMatch ?? true,
    });
  });
}

export const handler = lazyHandler(() =>
  createHandler({
    db: dynamoDbClient(),
    tableName: requiredEnv('ROTATION_TABLE_NAME'),
    iot: withoutCallLogging(new IoTClient(lambdaClientConfig())),
    iotData: withoutCallLogging(
      new IoTDataPlaneClient({ ...lambdaClientConfig(), endpoint: requiredEnv('IOT_DATA_ENDPOINT') }),
    ),
    requireCnMatch: booleanEnv('CSR_REQUIRE_CN_MATCH', true),
    ...(process.env.METRICS_NAMESPACE ? { metricsNamespace: process.env.METRICS_NAMESPACE } : {}),
  }),
);
