import { z } from 'zod';
import { resolveSettings, SETTING_NAMES, type Settings } from '../workflows/rotate-device/contract.ts';

/**
 * What an operator tunes at deploy time. The state machine's settings come from the workflow
 * contract (`SETTINGS`, with its defaults and ranges); the rest is what only a deployment decides:
 * which audit checks start rotations, who issues certificates, how functions log.
 */

export const AUDIT_CHECKS = ['DEVICE_CERTIFICATE_EXPIRING_CHECK', 'DEVICE_CERTIFICATE_AGE_CHECK'] as const;
export type AuditCheckName = (typeof AUDIT_CHECKS)[number];

export type CertificateIssuer =
  | { readonly kind: 'aws-iot' }
  | {
      readonly kind: 'acm-pca';
      /** ARN of the ACM Private CA that signs the device certificates. */
      readonly certificateAuthorityArn: string;
      readonly validityDays: number;
    };

export interface DeploymentSettings {
  /** The state machine's settings (timeouts, retries, attempt limits, record retention). */
  readonly workflow: Settings;
  readonly stateMachineName: string;
  readonly audit: {
    /** The checks whose findings start rotations; each one is enabled and scheduled. */
    readonly checks: readonly AuditCheckName[];
    /** DEVICE_CERTIFICATE_EXPIRING_CHECK reports certificates expiring within this many days. */
    readonly expiringThresholdDays: number;
    /** DEVICE_CERTIFICATE_AGE_CHECK reports certificates at least this many days old. */
    readonly ageThresholdDays: number;
    /** Name of the DAILY scheduled audit. */
    readonly scheduledAuditName: string;
  };
  readonly issuer: CertificateIssuer;
  /** 0 deletes the old certificate at once; more keeps it INACTIVE for that many days. */
  readonly oldCertificateGraceDays: number;
  readonly csrRequireCnMatch: boolean;
  readonly acceptRepliesWithoutRotationId: boolean;
  readonly metricsNamespace: string;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly logRetentionDays: number;
  /** `<prefix>-ats.iot.<region>.amazonaws.com`; when absent the stack looks it up at deploy time. */
  readonly iotDataEndpoint?: string;
  /** Alarm thresholds. */
  readonly alarms: {
    readonly rejectedRepliesPerHour: number;
  };
}

export class InvalidDeploymentSettingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidDeploymentSettingError';
  }
}

/** Every context key the app reads, with the prefix that keeps them apart from CDK's own. */
export const CONTEXT_PREFIX = 'recert:';

/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

const DeploymentContext = z
  .object({
    stateMachineName: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,80}$/, 'letters, digits, - and _ only, at most 80')
      .default('recert-rotate-device'),
    auditChecks: z
      .union([z.array(z.enum(AUDIT_CHECKS)), z.string().transform((s) => s.split(',').map((c) => c.trim()))])
      .pipe(z.array(z.enum(AUDIT_CHECKS)).min(1))
      .default([...AUDIT_CHECKS]),
    // Device Defender accepts thresholds from 30 days to 3652 days (ten years).
    auditExpiringThresholdDays: z.coerce.number().int().min(30).max(3652).default(30),
    auditAgeThresholdDays: z.coerce.number().int().min(30).max(3652).default(365),
    scheduledAuditName: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,128}$/)
      .default('recert-daily-certificate-audit'),
    issuer: z.enum(['aws-iot', 'acm-pca']).default('aws-iot'),
    privateCaArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[0-9a-f-]+$/, 'an ACM PCA ARN')
      .optional(),
    certificateValidityDays: positiveInt(3650).default(365),
    oldCertificateGraceDays: z.coerce.number().int().min(0).max(3650).default(0),
    csrRequireCnMatch: bool.default(true),
    acceptRepliesWithoutRotationId: bool.default(true),
    metricsNamespace: z
      .string()
      .regex(/^[A-Za-z0-9._/#:-]{1,255}$/)
      .default('recert'),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    logRetentionDays: z.coerce
      .number()
      .refine((d) => LOG_RETENTION_DAYS.includes(d), `one of ${LOG_RETENTION_DAYS.join(', ')}`)
      .default(90),
    iotDataEndpoint: z
      .string()
      .regex(
        /^[a-z0-9-]+\.iot\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/,
        'a host like abc123-ats.iot.eu-west-1.amazonaws.com',
      )
      .optional(),
    rejectedRepliesPerHour: positiveInt(1_000_000).default(20),
  })
  .strict();

type ContextReader = (key: string) => unknown;

/**
 * Reads `recert:<name>` context keys (cdk.json or `-c recert:<name>=<value>`); each workflow setting
 * is `recert:<SettingName>` (e.g. `recert:CsrTimeoutSeconds`). Throws naming the key that is wrong.
 */
export function settingsFromContext(read: ContextReader): DeploymentSettings {
  const workflowOverrides: Partial<Settings> = {};
  for (const name of SETTING_NAMES) {
    const raw = read(`${CONTEXT_PREFIX}${name}`);
    if (raw === undefined) continue;
    const value = typeof raw === 'number' ? raw : Number(raw);
    if (typeof raw !== 'number' && (typeof raw !== 'string' || raw.trim() === '' || Number.isNaN(value))) {
      throw new InvalidDeploymentSettingError(
        `context ${CONTEXT_PREFIX}${name} must be a number, got ${String(raw)}`,
      );
    }
    workflowOverrides[name] = value;
  }
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(DeploymentContext.shape)) {
    const value = read(`${CONTEXT_PREFIX}${key}`);
    if (value !== undefined) raw[key] = value;
  }
  return deploymentSettings(raw, workflowOverrides);
}

/** Checks the deployment options and the workflow settings and fills in the defaults. */
export function deploymentSettings(
  options: Readonly<Record<string, unknown>> = {},
  workflowOverrides: Partial<Settings> = {},
): DeploymentSettings {
  const parsed = DeploymentContext.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${CONTEXT_PREFIX}${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new InvalidDeploymentSettingError(`invalid deployment settings: ${issues}`);
  }
  const o = parsed.data;
  let workflow: Settings;
  try {
    workflow = resolveSettings(workflowOverrides);
  } catch (error) {
    throw new InvalidDeploymentSettingError(`invalid workflow setting: ${String(error)}`, { cause: error });
  }
  let issuer: CertificateIssuer = { kind: 'aws-iot' };
  if (o.issuer === 'acm-pca') {
    if (!o.privateCaArn) {
      throw new InvalidDeploymentSettingError(
        `${CONTEXT_PREFIX}issuer=acm-pca needs ${CONTEXT_PREFIX}privateCaArn (the CA's ARN)`,
      );
    }
    issuer = {
      kind: 'acm-pca',
      certificateAuthorityArn: o.privateCaArn,
      validityDays: o.certificateValidityDays,
    };
  }
  return {
    workflow,
    stateMachineName: o.stateMachineName,
    audit: {
      checks: [...new Set(o.auditChecks)],
      expiringThresholdDays: o.auditExpiringThresholdDays,
      ageThresholdDays: o.auditAgeThresholdDays,
      scheduledAuditName: o.scheduledAuditName,
    },
    issuer,
    oldCertificateGraceDays: o.oldCertificateGraceDays,
    csrRequireCnMatch: o.csrRequireCnMatch,
    acceptRepliesWithoutRotationId: o.acceptRepliesWithoutRotationId,
    metricsNamespace: o.metricsNamespace,
    logLevel: o.logLevel,
    logRetentionDays: o.logRetentionDays,
    ...(o.iotDataEndpoint === undefined ? {} : { iotDataEndpoint: o.iotDataEndpoint }),
    alarms: { rejectedRepliesPerHour: o.rejectedRepliesPerHour },
  };
}
