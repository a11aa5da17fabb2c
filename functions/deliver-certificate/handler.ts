import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeliverCertificateInput } from '../../workflows/rotate-device/types.ts';
import { lambdaClientConfig } from '../shared/aws-client-config.ts';
import { defaultClock, documentClient, type RuntimeOptions, requiredEnv } from '../shared/environment.ts';
import { counterOf, createObservability, lazyHandler, logOf, wrapHandler } from '../shared/observability.ts';
import { RotationRecordStore } from '../shared/rotation-record.ts';
import { parseStepInput } from '../shared/step-input.ts';
import { deliverCertificate } from './deliver-certificate.ts';

export interface DeliverCertificateHandlerDeps extends RuntimeOptions {
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly iotData: IoTDataPlaneClient;
}

export function createHandler(deps: DeliverCertificateHandlerDeps) {
  const observability = createObservability('deliver-certificate', {
    ...(deps.logLevel ? { logLevel: deps.logLevel } : {}),
    ...(deps.metricsNamespace ? { namespace: deps.metricsNamespace } : {}),
  });
  const store = new RotationRecordStore(deps.db, deps.tableName);
  return wrapHandler(observability, async (event) => {
    const input = parseStepInput(DeliverCertificateInput, event, 'DeliverCertificate');
    observability.logger.appendKeys({ thingName: input.thingName, rotationId: input.rotationId });
    return deliverCertificate(input, {
      store,
      iotData: deps.iotData,
      clock: deps.clock ?? defaultClock,
      log: logOf(observability.logger),
      counter: counterOf(observability.metrics),
    });
  });
}

export const handler = lazyHandler(() =>
  createHandler({
    db: documentClient(),
    tableName: requiredEnv('ROTATION_TABLE_NAME'),
    iotData: new IoTDataPlaneClient({ ...lambdaClientConfig(), endpoint: requiredEnv('IOT_DATA_ENDPOINT') }),
    ...(process.env.METRICS_NAMESPACE ? { metricsNamespace: process.env.METRICS_NAMESPACE } : {}),
  }),
);
