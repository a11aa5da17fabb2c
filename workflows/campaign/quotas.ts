/**
 * The AWS API quotas a campaign runs into, in calls per second per account and region: AWS's documented
 * defaults (adjustable in Service Quotas), or the raised values a deployment passes.
 */

/** An API on a rotation's path that AWS rate-limits, as `<service>:<Action>`. */
export const QUOTED_APIS = [
  'iot:CreateCertificateFromCsr',
  'iot:RegisterCertificateWithoutCA',
  'iot:UpdateCertificate',
  'iot:DeleteCertificate',
  'iot:DescribeCertificate',
  'iot:AttachPolicy',
  'iot:DetachPolicy',
  'iot:ListAttachedPolicies',
  'iot:AttachThingPrincipal',
  'iot:DetachThingPrincipal',
  'iot:ListThingPrincipals',
  'iot:ListPrincipalThings',
  'iot:Connect',
  'iot:Publish',
  'states:StartExecution',
  'states:SendTaskSuccess',
  'acm-pca:IssueCertificate',
  'acm-pca:GetCertificate',
] as const;
export type QuotedApi = (typeof QUOTED_APIS)[number];

export type ApiQuotas = Readonly<Record<QuotedApi, number>>;

/**
 * AWS's default rates (calls per second). Sources: the AWS IoT Core, Step Functions and AWS Private
 * CA quota pages (Service Quotas lists the same defaults).
 */
export const AWS_DEFAULT_QUOTAS: ApiQuotas = {
  'iot:CreateCertificateFromCsr': 15,
  // A private CA's certificates are registered in AWS IoT without their CA instead.
  'iot:RegisterCertificateWithoutCA': 10,
  'iot:UpdateCertificate': 10,
  'iot:DeleteCertificate': 10,
  'iot:DescribeCertificate': 10,
  'iot:AttachPolicy': 15,
  'iot:DetachPolicy': 15,
  'iot:ListAttachedPolicies': 15,
  'iot:AttachThingPrincipal': 100,
  'iot:DetachThingPrincipal': 100,
  'iot:ListThingPrincipals': 10,
  'iot:ListPrincipalThings': 10,
  // MQTT CONNECT requests per account (each rotation connects once with its new certificate).
  'iot:Connect': 500,
  'iot:Publish': 20_000,
  // Token-bucket refill rates (bucket sizes 1,300 and 3,000 absorb bursts, not sustained load).
  'states:StartExecution': 300,
  'states:SendTaskSuccess': 500,
  // AWS Private CA, when it issues the certificates (DescribeCertificateAuthority: once per instance).
  'acm-pca:IssueCertificate': 25,
  'acm-pca:GetCertificate': 75,
};

export class InvalidQuotaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidQuotaError';
  }
}

/** The defaults with some replaced; every rate must be a positive finite number. */
export function resolveQuotas(overrides: Readonly<Partial<Record<string, number>>> = {}): ApiQuotas {
  const known = new Set<string>(QUOTED_APIS);
  const resolved: Record<string, number> = { ...AWS_DEFAULT_QUOTAS };
  for (const [api, rate] of Object.entries(overrides)) {
    if (!known.has(api)) {
      throw new InvalidQuotaError(`unknown API quota ${api}; known: ${QUOTED_APIS.join(', ')}`);
    }
    if (rate === undefined) continue;
    if (!Number.isFinite(rate) || rate <= 0) {
      throw new InvalidQuotaError(`quota ${api} must be a positive number of calls per second, not ${rate}`);
    }
    resolved[api] = rate;
  }
  return resolved as ApiQuotas;
}
