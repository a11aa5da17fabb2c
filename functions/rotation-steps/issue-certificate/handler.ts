import { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { IssueCertificateInput } from '../../../workflows/rotate-device/types.ts';
import { lambdaClientConfig, withoutCallLogging } from '../../shared/aws-client-config.ts';
import {
  booleanEnv,
  ConfigurationError,
  dynamoDbClient,
  type RuntimeOptions,
  requiredEnv,
} from '../../shared/environment.ts';
import { lazyHandler, observabilityFor, runtimeOf, wrapHandler } from '../../shared/observability.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import { parseStepInput } from '../../shared/step-input.ts';
import { AcmPcaIssuer, AwsIotIssuer, type CertificateIssuer } from './certificate-issuer.ts';
import { issueAndDeliver } from './issue-and-deliver.ts';

export interface IssueCertificateHandlerDeps extends RuntimeOptions {
  readonly db: DynamoDBClient;
  readonly tableName: string;
  readonly iot: IoTClient;
  readonly iotData: IoTDataPlaneClient;
  /** Who signs the certificates; AWS IoT's CA (CreateCertificateFromCsr) by default. */
  readonly issuer?: CertificateIssuer;
  /** Default true: the CSR subject CN must be the thing name. */
  readonly requireCnMatch?: boolean;
}

export function createHandler(deps: IssueCertificateHandlerDeps) {
  const observability = observabilityFor('issue-certificate', deps);
  const store = new RotationRecordStore(deps.db, deps.tableName);
  const issuer = deps.issuer ?? new AwsIotIssuer(deps.iot);
  return wrapHandler(observability, async (event) => {
    const input = parseStepInput(IssueCertificateInput, event, 'IssueAndDeliver');
    observability.logger.appendKeys({ thingName: input.thingName, rotationId: input.rotationId });
    return issueAndDeliver(input, {
      store,
      iot: deps.iot,
      iotData: deps.iotData,
      issuer,
      ...runtimeOf(observability, deps),
      requireCnMatch: deps.requireCnMatch ?? true,
    });
  });
}

/**
 * The issuer the deployment chose (`CERTIFICATE_ISSUER`: `aws-iot`, the default, or `acm-pca` with
 * `PRIVATE_CA_ARN` and `CERTIFICATE_VALIDITY_DAYS`, set by infra/ from its settings).
 */
export function issuerFromEnvironment(
  iot: IoTClient,
  env: NodeJS.ProcessEnv = process.env,
  pca: () => ACMPCAClient = () => withoutCallLogging(new ACMPCAClient(lambdaClientConfig())),
): CertificateIssuer {
  const kind = env.CERTIFICATE_ISSUER || 'aws-iot';
  if (kind === 'aws-iot') return new AwsIotIssuer(iot);
  if (kind !== 'acm-pca') {
    throw new ConfigurationError(
      `environment variable CERTIFICATE_ISSUER must be aws-iot or acm-pca, got ${JSON.stringify(kind)}`,
    );
  }
  const validity = requiredEnv('CERTIFICATE_VALIDITY_DAYS', env);
  const validityDays = Number(validity);
  if (!Number.isInteger(validityDays) || validityDays < 1) {
    throw new ConfigurationError(
      `environment variable CERTIFICATE_VALIDITY_DAYS must be a whole number of days >= 1, got ${JSON.stringify(validity)}`,
    );
  }
  return new AcmPcaIssuer(
    { certificateAuthorityArn: requiredEnv('PRIVATE_CA_ARN', env), validityDays },
    { pca: pca(), iot },
  );
}

export const handler = lazyHandler(() => {
  const iotClient = withoutCallLogging(new IoTClient(lambdaClientConfig()));
  return createHandler({
    db: dynamoDbClient(),
    tableName: requiredEnv('ROTATION_TABLE_NAME'),
    iot: iotClient,
    issuer: issuerFromEnvironment(iotClient),
    iotData: withoutCallLogging(
      new IoTDataPlaneClient({ ...lambdaClientConfig(), endpoint: requiredEnv('IOT_DATA_ENDPOINT') }),
    ),
    requireCnMatch: booleanEnv('CSR_REQUIRE_CN_MATCH', true),
    ...(process.env.METRICS_NAMESPACE ? { metricsNamespace: process.env.METRICS_NAMESPACE } : {}),
  });
});
