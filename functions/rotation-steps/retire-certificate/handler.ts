import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { RetireCertificateInput } from '../../../workflows/rotate-device/types.ts';
import { RetiredCertificates } from '../../event-triggered/retired-certificate-sweeper/retired-entries.ts';
import { lambdaClientConfig, withoutCallLogging } from '../../shared/aws-client-config.ts';
import { CampaignCounters } from '../../shared/campaign-counters.ts';
import {
  ConfigurationError,
  dynamoDbClient,
  numberEnv,
  type RuntimeOptions,
  requiredEnv,
} from '../../shared/environment.ts';
import { lazyHandler, observabilityFor, runtimeOf, wrapHandler } from '../../shared/observability.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import { parseStepInput } from '../../shared/step-input.ts';
import { RotationCompletion } from './complete-rotation.ts';
import { retireOldCertificate } from './retire-certificate.ts';

export interface RetireCertificateHandlerDeps extends RuntimeOptions {
  readonly db: DynamoDBClient;
  readonly tableName: string;
  readonly iot: IoTClient;
  /** Default 0: the old certificate is deleted. */
  readonly graceDays?: number;
  /**
   * The campaign table: a completed rotation counts as succeeded in its campaign there, and a kept
   * certificate's "delete after" entry goes there (needed with a grace period).
   */
  readonly campaignTableName?: string;
}

export function createHandler(deps: RetireCertificateHandlerDeps) {
  const observability = observabilityFor('retire-certificate', deps);
  const store = new RotationRecordStore(deps.db, deps.tableName);
  const completion = new RotationCompletion(deps.db, deps.tableName);
  const graceDays = deps.graceDays ?? 0;
  if (graceDays > 0 && !deps.campaignTableName) {
    throw new ConfigurationError(
      `a grace period of ${graceDays} days needs the campaign table (CAMPAIGN_TABLE_NAME), where the sweeper ` +
        'finds when each kept certificate may be deleted',
    );
  }
  const retired = deps.campaignTableName
    ? new RetiredCertificates(deps.db, deps.campaignTableName)
    : undefined;
  const campaigns = deps.campaignTableName
    ? new CampaignCounters(deps.db, deps.campaignTableName)
    : undefined;
  return wrapHandler(observability, async (event) => {
    const input = parseStepInput(RetireCertificateInput, event, 'RetireOldCertificate');
    observability.logger.appendKeys({ thingName: input.thingName, rotationId: input.rotationId });
    return retireOldCertificate(input, {
      store,
      completion,
      iot: deps.iot,
      ...runtimeOf(observability, deps),
      graceDays,
      retired,
      campaigns,
    });
  });
}

export const handler = lazyHandler(() =>
  createHandler({
    db: dynamoDbClient(),
    tableName: requiredEnv('ROTATION_TABLE_NAME'),
    iot: withoutCallLogging(new IoTClient(lambdaClientConfig())),
    graceDays: numberEnv('OLD_CERTIFICATE_GRACE_DAYS', 0),
    campaignTableName: requiredEnv('CAMPAIGN_TABLE_NAME'),
    ...(process.env.METRICS_NAMESPACE ? { metricsNamespace: process.env.METRICS_NAMESPACE } : {}),
  }),
);
