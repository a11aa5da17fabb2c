import { z } from 'zod';
import {
  CAMPAIGN_STATE_MACHINE,
  type CampaignSettings,
  type DerivedPacing,
  derivePacing,
  HISTORY_EVENT_LIMIT,
  type PacingSettings,
  resolveCampaignSettings,
  worstCaseHistoryEvents,
} from '../workflows/campaign/contract.ts';
import { CAMPAIGN_SETTINGS } from '../workflows/campaign/settings.ts';
import { resolveSettings, SETTING_NAMES, type Settings } from '../workflows/rotate-device/contract.ts';

/**
 * What an operator tunes at deploy time beyond the contract's `SETTINGS`: the audit checks that start
 * rotations, who issues certificates, how functions log.
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

/**
 * How fast campaigns start rotations: only the operator's overrides; the rest is derived from the quotas
 * at run time by `derivePacing`, which synthesis also runs so a bad value fails `cdk synth`.
 */
export interface PacingDeployment {
  readonly overrides: Partial<PacingSettings>;
  /** Quotas raised above AWS's defaults, by API (`iot:CreateCertificateFromCsr`: calls per second). */
  readonly quotas: Readonly<Record<string, number>>;
  /** Share of the tightest quota a campaign uses. */
  readonly headroom?: number;
  /** What a campaign started with these settings runs at. */
  readonly derived: DerivedPacing;
}

export interface DeploymentSettings {
  /** The state machine's settings (timeouts, retries, attempt limits, record retention). */
  readonly workflow: Settings;
  readonly stateMachineName: string;
  /** The campaign state machine's own settings (its retries are the workflow's TransientRetry*). */
  readonly campaign: CampaignSettings;
  readonly campaignStateMachineName: string;
  readonly pacing: PacingDeployment;
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
  /** DeleteCertificate calls per second of the retired-certificate sweeper, at most. */
  readonly sweepDeletesPerSecond: number;
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
const stateMachineName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,80}$/, 'letters, digits, - and _ only, at most 80');
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
/** A number given in cdk.json or as a `-c` string; an empty string is no number. */
const numeric = z.unknown().transform((value, ctx) => {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number === 'number' && Number.isFinite(number)) return number;
  ctx.addIssue({ code: 'custom', message: `a number, got ${JSON.stringify(value)}` });
  return z.NEVER;
});
const QUOTAS_EXAMPLE = '{"iot:CreateCertificateFromCsr":50}';
const QuotaRecord = z.record(z.string(), z.number());
/** Raised quotas: an object in cdk.json, or its JSON text with `-c`. */
const quotaRecord = z.unknown().transform((value, ctx) => {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
  }
  const record = QuotaRecord.safeParse(parsed);
  if (record.success) return record.data;
  ctx.addIssue({
    code: 'custom',
    message: `JSON like ${QUOTAS_EXAMPLE} (calls per second by API), got ${JSON.stringify(value)}`,
  });
  return z.NEVER;
});

const DeploymentContext = z
  .object({
    stateMachineName: stateMachineName.default('recert-rotate-device'),
    campaignStateMachineName: stateMachineName.default(CAMPAIGN_STATE_MACHINE.name),
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
    // AWS's DeleteCertificate quota is 10 per second by default (adjustable); campaigns need some of it.
    sweepDeletesPerSecond: z.coerce.number().gt(0).max(100).default(2),
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
    // Ranges are checked by derivePacing, the function campaigns themselves run.
    pacingStartsPerSecond: numeric.optional(),
    pacingMaxInFlight: numeric.optional(),
    pacingFailureRateThreshold: numeric.optional(),
    pacingMinFinished: numeric.optional(),
    pacingQuotas: quotaRecord.optional(),
    pacingHeadroom: numeric.optional(),
  })
  .strict();

/** The context key of each pacing figure, for error messages. */
const PACING_KEYS: Readonly<Record<string, string>> = {
  startsPerSecond: 'pacingStartsPerSecond',
  maxInFlight: 'pacingMaxInFlight',
  failureRateThreshold: 'pacingFailureRateThreshold',
  minFinishedForFailureRate: 'pacingMinFinished',
  headroom: 'pacingHeadroom',
  quota: 'pacingQuotas',
};

type ContextReader = (key: string) => unknown;

/**
 * Reads `recert:<name>` context keys (cdk.json or `-c recert:<name>=<value>`); each workflow setting
 * is `recert:<SettingName>` (e.g. `recert:CsrTimeoutSeconds`). Throws naming the key that is wrong.
 */
export function settingsFromContext(read: ContextReader): DeploymentSettings {
  const workflowOverrides: Partial<Settings> = {};
  for (const name of SETTING_NAMES) {
    const value = numberFromContext(read, name);
    if (value !== undefined) workflowOverrides[name] = value;
  }
  const campaignOverrides: Partial<CampaignSettings> = {};
  for (const name of CAMPAIGN_SETTING_NAMES) {
    const value = numberFromContext(read, name);
    if (value !== undefined) campaignOverrides[name] = value;
  }
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(DeploymentContext.shape)) {
    const value = read(`${CONTEXT_PREFIX}${key}`);
    if (value !== undefined) raw[key] = value;
  }
  return deploymentSettings(raw, workflowOverrides, campaignOverrides);
}

const CAMPAIGN_SETTING_NAMES = Object.keys(CAMPAIGN_SETTINGS).filter(
  (name): name is keyof CampaignSettings => name in CAMPAIGN_SETTINGS,
);

function numberFromContext(read: ContextReader, name: string): number | undefined {
  const raw = read(`${CONTEXT_PREFIX}${name}`);
  if (raw === undefined) return undefined;
  const value = typeof raw === 'number' ? raw : Number(raw);
  if (typeof raw !== 'number' && (typeof raw !== 'string' || raw.trim() === '' || Number.isNaN(value))) {
    throw new InvalidDeploymentSettingError(
      `context ${CONTEXT_PREFIX}${name} must be a number, got ${String(raw)}`,
    );
  }
  return value;
}

/** The pacing a campaign of this deployment runs at; throws naming the context key that is wrong. */
function pacingOf(o: {
  issuer: 'aws-iot' | 'acm-pca';
  pacingStartsPerSecond?: number | undefined;
  pacingMaxInFlight?: number | undefined;
  pacingFailureRateThreshold?: number | undefined;
  pacingMinFinished?: number | undefined;
  pacingQuotas?: Record<string, number> | undefined;
  pacingHeadroom?: number | undefined;
}): PacingDeployment {
  const overrides: { -readonly [K in keyof PacingSettings]?: number } = {};
  if (o.pacingStartsPerSecond !== undefined) overrides.startsPerSecond = o.pacingStartsPerSecond;
  if (o.pacingMaxInFlight !== undefined) overrides.maxInFlight = o.pacingMaxInFlight;
  if (o.pacingFailureRateThreshold !== undefined)
    overrides.failureRateThreshold = o.pacingFailureRateThreshold;
  if (o.pacingMinFinished !== undefined) overrides.minFinishedForFailureRate = o.pacingMinFinished;
  const quotas = o.pacingQuotas ?? {};
  let derived: DerivedPacing;
  try {
    derived = derivePacing({
      quotas,
      overrides,
      issuer: o.issuer,
      ...(o.pacingHeadroom === undefined ? {} : { headroom: o.pacingHeadroom }),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const field = Object.keys(PACING_KEYS).find(
      (name) => message.startsWith(name) || message.includes(` ${name} `),
    );
    const key = field === undefined ? 'pacing' : (PACING_KEYS[field] ?? 'pacing');
    throw new InvalidDeploymentSettingError(`invalid pacing: ${CONTEXT_PREFIX}${key}: ${message}`, {
      cause: error,
    });
  }
  return {
    overrides,
    quotas,
    ...(o.pacingHeadroom === undefined ? {} : { headroom: o.pacingHeadroom }),
    derived,
  };
}

/** Checks the deployment options and the workflow settings and fills in the defaults. */
export function deploymentSettings(
  options: Readonly<Record<string, unknown>> = {},
  workflowOverrides: Partial<Settings> = {},
  campaignOverrides: Partial<CampaignSettings> = {},
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
  let campaign: CampaignSettings;
  try {
    campaign = resolveCampaignSettings(campaignOverrides);
  } catch (error) {
    throw new InvalidDeploymentSettingError(`invalid campaign setting: ${String(error)}`, { cause: error });
  }
  // Checked here as well as when the definition is rendered, so the message names the context keys.
  const worst = worstCaseHistoryEvents({
    turns: campaign.CampaignTurnsPerExecution,
    retriesPerTurn: workflow.TransientRetryMaxAttempts,
  });
  if (worst >= HISTORY_EVENT_LIMIT) {
    throw new InvalidDeploymentSettingError(
      `${CONTEXT_PREFIX}CampaignTurnsPerExecution=${campaign.CampaignTurnsPerExecution} with ` +
        `${CONTEXT_PREFIX}TransientRetryMaxAttempts=${workflow.TransientRetryMaxAttempts}: one campaign ` +
        `execution could write ${worst} history events, over Step Functions' ${HISTORY_EVENT_LIMIT}; lower either`,
    );
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
    campaign,
    campaignStateMachineName: o.campaignStateMachineName,
    pacing: pacingOf(o),
    audit: {
      checks: [...new Set(o.auditChecks)],
      expiringThresholdDays: o.auditExpiringThresholdDays,
      ageThresholdDays: o.auditAgeThresholdDays,
      scheduledAuditName: o.scheduledAuditName,
    },
    issuer,
    oldCertificateGraceDays: o.oldCertificateGraceDays,
    sweepDeletesPerSecond: o.sweepDeletesPerSecond,
    csrRequireCnMatch: o.csrRequireCnMatch,
    acceptRepliesWithoutRotationId: o.acceptRepliesWithoutRotationId,
    metricsNamespace: o.metricsNamespace,
    logLevel: o.logLevel,
    logRetentionDays: o.logRetentionDays,
    ...(o.iotDataEndpoint === undefined ? {} : { iotDataEndpoint: o.iotDataEndpoint }),
    alarms: { rejectedRepliesPerHour: o.rejectedRepliesPerHour },
  };
}
