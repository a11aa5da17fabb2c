/**
 * Calls one happy-path rotation makes to each rate-limited AWS API, which the pacing divides quotas by;
 * test/workflows/api-calls.test.ts holds them to what the local IoT counts.
 */
import { QUOTED_APIS, type QuotedApi } from '../campaign/quotas.ts';

export type ApiCalls = Readonly<Partial<Record<QuotedApi, number>>>;

/** Who signs the new certificates: AWS IoT's CA, or an ACM Private CA (the deployment's `issuer`). */
export const ISSUER_KINDS = ['aws-iot', 'acm-pca'] as const;
export type IssuerKind = (typeof ISSUER_KINDS)[number];

/** The issuer a setting names (surrounding spaces ignored), or undefined when it names none. */
export function issuerKindOf(text: string): IssuerKind | undefined {
  const trimmed = text.trim();
  return ISSUER_KINDS.find((kind) => kind === trimmed);
}

/**
 * Calls that make the new certificate: one with AWS IoT; with a private CA, issue, two GetCertificate (the
 * first usually finds it still being signed) and registration without CA.
 */
function issuingCalls(issuer: IssuerKind): ApiCalls {
  if (issuer === 'acm-pca') {
    return {
      'acm-pca:IssueCertificate': 1,
      'acm-pca:GetCertificate': 2,
      'iot:RegisterCertificateWithoutCA': 1,
    };
  }
  return { 'iot:CreateCertificateFromCsr': 1 };
}

/**
 * Calls of one happy-path rotation (claim to record) of a certificate with `policies` policies, signed by
 * `issuer`; starting it costs `startApiCalls`.
 */
export function rotationApiCalls(policies = 1, issuer: IssuerKind = 'aws-iot'): ApiCalls {
  if (!Number.isInteger(policies) || policies < 0) {
    throw new RangeError(`policies must be a whole number >= 0, not ${policies}`);
  }
  if (!ISSUER_KINDS.includes(issuer)) {
    throw new RangeError(`issuer must be one of ${ISSUER_KINDS.join(', ')}, not ${String(issuer)}`);
  }
  return {
    // Issue (functions/issue-certificate): the old certificate described once (its PEM for the CSR
    // check, its ARN) and its policies listed once; the new certificate made ACTIVE, given those
    // policies and the thing. The thing's principals are not listed (the starter found the pair).
    'iot:DescribeCertificate': 1,
    'iot:ListAttachedPolicies': 1,
    ...issuingCalls(issuer),
    'iot:AttachPolicy': policies,
    'iot:AttachThingPrincipal': 1,
    // Delivery and proof (request-csr, device-reply, issue-certificate): csr_req and crt_res
    // published by the cloud, csr_res and crt_ack by the device (AWS's publish quota counts both);
    // two task tokens returned; one connection with the new certificate.
    'iot:Publish': 4,
    'states:SendTaskSuccess': 2,
    'iot:Connect': 1,
    // Retire (functions/retire-certificate): the ARN and policy names the issue step recorded, so
    // nothing is described or listed: detached from the thing and each policy, set INACTIVE once,
    // deleted once.
    'iot:DetachThingPrincipal': 1,
    'iot:DetachPolicy': policies,
    'iot:UpdateCertificate': 1,
    'iot:DeleteCertificate': 1,
  };
}

/**
 * What a starter (the audit fan-out, a campaign) spends to start one rotation: it resolves the
 * certificate's thing and starts one execution.
 */
export function startApiCalls(): ApiCalls {
  return { 'iot:ListPrincipalThings': 1, 'states:StartExecution': 1 };
}

/** The per-API sum of several call tables. */
export function sumApiCalls(...tables: readonly ApiCalls[]): ApiCalls {
  const sum: Partial<Record<QuotedApi, number>> = {};
  for (const api of QUOTED_APIS) {
    const calls = tables.reduce((total, table) => total + (table[api] ?? 0), 0);
    if (tables.some((table) => table[api] !== undefined)) sum[api] = calls;
  }
  return sum;
}
