/**
 * What ACM Private CA authorizes each operation of the local ACM PCA server as, after the Service
 * Authorization Reference: all three on the certificate authority the body names.
 */
import type { AuthorizationRequest } from '../types.ts';
import {
  authorize,
  distinct,
  mappingOf,
  OperationInputError,
  type OperationScope,
  stringField,
} from './shared.ts';

type Mapping = (input: unknown, operation: string) => AuthorizationRequest[];

const TARGET_PREFIX = /^ACMPrivateCA\./;

/** The template IssueCertificate uses when the request names none (AWS's documented default). */
export const DEFAULT_TEMPLATE_ARN = 'arn:aws:acm-pca:::template/EndEntityCertificate/V1';

function authority(input: unknown, operation: string): string {
  const ca = stringField(input, 'CertificateAuthorityArn');
  if (ca === undefined)
    throw new OperationInputError('acm-pca', operation, 'CertificateAuthorityArn is required');
  return ca;
}

const MAPPINGS: Readonly<Record<string, Mapping>> = {
  DescribeCertificateAuthority: (input, operation) => [
    authorize('acm-pca:DescribeCertificateAuthority', authority(input, operation)),
  ],
  IssueCertificate: (input, operation) => [
    authorize('acm-pca:IssueCertificate', authority(input, operation), {
      'acm-pca:TemplateArn': stringField(input, 'TemplateArn') ?? DEFAULT_TEMPLATE_ARN,
    }),
  ],
  GetCertificate: (input, operation) => [authorize('acm-pca:GetCertificate', authority(input, operation))],
};

/** The ACM PCA operations mapped, by bare name (`IssueCertificate`). */
export const ACM_PCA_OPERATIONS: readonly string[] = Object.freeze(Object.keys(MAPPINGS));

/** `operation` is the bare name or the `X-Amz-Target` (`ACMPrivateCA.IssueCertificate`). */
export function acmPcaPermissions(
  operation: string,
  input: unknown,
  _scope: OperationScope,
): readonly AuthorizationRequest[] {
  const { name, mapping } = mappingOf(MAPPINGS, 'acm-pca', operation, TARGET_PREFIX);
  return distinct(mapping(input, name));
}
