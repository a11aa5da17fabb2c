import type { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import type { IoTClient } from '@aws-sdk/client-iot';
import type { IssuerKind } from '../../../workflows/rotate-device/api-calls.ts';
import { ISSUER_KIND_ENV, PRIVATE_CA_ENV } from '../../../workflows/rotate-device/function-env.ts';
import { defineFunction } from '../../shared/define-function.ts';
import {
  ConfigurationError,
  type ContractEnv,
  readSettings,
  variableNamed,
} from '../../shared/environment.ts';
import { acmPcaClient, dynamoDbClient, iotClient, iotDataClient } from '../../shared/lambda-clients.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import {
  AcmPcaIssuer,
  type AcmPcaSettings,
  AwsIotIssuer,
  type CertificateIssuer,
} from './certificate-issuer.ts';
import { issueAndDeliver } from './issue-and-deliver.ts';

/** Who signs the certificates: AWS IoT's CA (CreateCertificateFromCsr) unless one of these says otherwise. */
interface IssuerOptions {
  readonly issuer?: CertificateIssuer;
  /** An ACM Private CA and its client, as `CERTIFICATE_ISSUER=acm-pca` chooses on AWS. */
  readonly privateCa?: { readonly settings: AcmPcaSettings; readonly pca: ACMPCAClient };
}

export const { handler, createHandler } = defineFunction('issue-certificate', {
  clients: { db: dynamoDbClient, iot: iotClient, iotData: iotDataClient },
  fromEnvironment: ({ iot, ...settings }): IssuerOptions => ({
    issuer: issuerOf(settings, iot, acmPcaClient),
  }),
  build: ({ db, iot, iotData, tableName, requireCnMatch }, runtime, options: IssuerOptions) => {
    const store = new RotationRecordStore(db, tableName);
    const { issuer, privateCa } = options;
    const chosen =
      issuer ??
      (privateCa ? new AcmPcaIssuer(privateCa.settings, { pca: privateCa.pca, iot }) : new AwsIotIssuer(iot));
    return (input) =>
      issueAndDeliver(input, { store, iot, iotData, issuer: chosen, ...runtime, requireCnMatch });
  },
});

/** The issuer the environment chooses: the contract's issuer variables, as infra/ sets them. */
export function issuerFromEnvironment(
  iot: IoTClient,
  env: ContractEnv = process.env,
  pca: () => ACMPCAClient = acmPcaClient,
): CertificateIssuer {
  return issuerOf(readSettings([ISSUER_KIND_ENV, ...PRIVATE_CA_ENV], env), iot, pca);
}

interface IssuerSettings {
  readonly issuerKind: IssuerKind;
  readonly privateCaArn?: string;
  readonly validityDays?: number;
}

function issuerOf(settings: IssuerSettings, iot: IoTClient, pca: () => ACMPCAClient): CertificateIssuer {
  if (settings.issuerKind === 'aws-iot') return new AwsIotIssuer(iot);
  const { privateCaArn, validityDays } = settings;
  const unset = (key: string) =>
    new ConfigurationError(`environment variable ${variableNamed(PRIVATE_CA_ENV, key)} is not set`);
  if (privateCaArn === undefined) throw unset('privateCaArn');
  if (validityDays === undefined) throw unset('validityDays');
  return new AcmPcaIssuer({ certificateAuthorityArn: privateCaArn, validityDays }, { pca: pca(), iot });
}
