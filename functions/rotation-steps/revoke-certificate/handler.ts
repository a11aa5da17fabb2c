import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { RevokeCertificateInput } from '../../../workflows/rotate-device/types.ts';
import { lambdaClientConfig, withoutCallLogging } from '../../shared/aws-client-config.ts';
import { dynamoDbClient, type RuntimeOptions, requiredEnv } from '../../shared/environment.ts';
import { lazyHandler, observabilityFor, runtimeOf, wrapHandler } from '../../shared/observability.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import { parseStepInput } from '../../shared/step-input.ts';
import { revokeNewCertificate } from './revoke-certificate.ts';

export interface RevokeCertificateHandlerDeps extends RuntimeOptions {
  readonly db: DynamoDBClient;
  readonly tableName: string;
  readonly iot: IoTClient;
}

export function createHandler(deps: RevokeCertificateHandlerDeps) {
  const observability = observabilityFor('revoke-certificate', deps);
  const store = new RotationRecordStore(deps.db, deps.tableName);
  return wrapHandler(observability, async (event) => {
    const input = parseStepInput(RevokeCertificateInput, event, 'RevokeNewCertificate');
    observability.logger.appendKeys({ thingName: input.thingName, rotationId: input.rotationId });
    return revokeNewCertificate(input, {
      store,
      iot: deps.iot,
      ...runtimeOf(observability, deps),
    });
  });
}

export const handler = lazyHandler(() =>
  createHandler({
    db: dynamoDbClient(),
    tableName: requiredEnv('ROTATION_TABLE_NAME'),
    iot: withoutCallLogging(new IoTClient(lambdaClientConfig())),
    ...(process.env.METRICS_NAMESPACE ? { metricsNamespace: process.env.METRICS_NAMESPACE } : {}),
  }),
);
