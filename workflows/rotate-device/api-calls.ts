/**
 * How many calls one rotation makes to each rate-limited AWS API, on the happy path of a device that
 * answers at once. The campaign pacing divides each quota by these counts to find the API that
 * limits the fleet's rotation rate, so the counts must match what the functions really do: a test
 * rotates a device on the local AWS and compares the calls the local IoT counted with this table.
 */
import type { QuotedApi } from '../campaign/quotas.ts';

export type ApiCalls = Readonly<Partial<Record<QuotedApi, number>>>;

/**
 * One happy-path rotation of a certificate that has `policies` policies attached, including what the
 * campaign spends to start it (resolving the certificate's thing, starting the execution).
 */
export function rotationApiCalls(policies = 1): ApiCalls {
  if (!Number.isInteger(policies) || policies < 0) {
    throw new RangeError(`policies must be a whole number >= 0, not ${policies}`);
  }
  return {
    // Starting it: the campaign resolves the certificate's thing and starts one execution.
    'iot:ListPrincipalThings': 1,
    'states:StartExecution': 1,
    // Issue: the old certificate's policies, the new certificate, its policies and thing.
    'iot:ListAttachedPolicies': 2,
    'iot:CreateCertificateFromCsr': 1,
    'iot:AttachPolicy': policies,
    'iot:AttachThingPrincipal': 1,
    'iot:ListThingPrincipals': 1,
    'iot:DescribeCertificate': 1,
    // Delivery and proof: two task tokens returned, one connection with the new certificate.
    'states:SendTaskSuccess': 2,
    'iot:Connect': 1,
    'iot:Publish': 3,
    // Retire: detach, deactivate, delete the old certificate.
    'iot:DetachPolicy': policies,
    'iot:DetachThingPrincipal': 1,
    'iot:UpdateCertificate': 2,
    'iot:DeleteCertificate': 1,
  };
}
