import { ISSUER_KINDS } from './api-calls.ts';
import type { EnvVarSpec } from './function-spec.ts';

/** Environment variables several functions of the rotation workflow read. */

export const TABLE_ENV = {
  name: 'ROTATION_TABLE_NAME',
  key: 'tableName',
  required: true,
  source: 'rotationTable',
  description: 'Name of the rotation table.',
} as const satisfies EnvVarSpec;
export const IOT_DATA_ENV = {
  name: 'IOT_DATA_ENDPOINT',
  key: 'iotDataEndpoint',
  required: true,
  source: 'iotDataEndpoint',
  description: "https URL of the account's IoT data endpoint (iot:Data-ATS), for Publish.",
} as const satisfies EnvVarSpec;
export const METRICS_ENV = {
  name: 'METRICS_NAMESPACE',
  key: 'metricsNamespace',
  required: false,
  source: 'setting',
  default: 'recert',
  description: 'CloudWatch namespace of the metrics.',
} as const satisfies EnvVarSpec;

/** Functions that move a campaign's counters (outcome, parked) on its META item and their own items. */
export const CAMPAIGN_COUNTERS_ENV = {
  name: 'CAMPAIGN_TABLE_NAME',
  key: 'campaignTableName',
  required: true,
  whenAbsent: 'no campaign counter moves',
  source: 'campaignTable',
  description: "Name of the campaign table, whose counters a campaign's rotations move.",
} as const satisfies EnvVarSpec;

/** Who signs new certificates: the issue function asks it, and a private CA's calls have quotas of their own. */
export const ISSUER_KIND_ENV = {
  name: 'CERTIFICATE_ISSUER',
  key: 'issuerKind',
  values: ISSUER_KINDS,
  required: false,
  source: 'setting',
  default: 'aws-iot',
  description:
    "Who signs new certificates (aws-iot or acm-pca): a private CA's calls have quotas of their own.",
} as const satisfies EnvVarSpec;

/** The private CA the issue function asks when `CERTIFICATE_ISSUER` is `acm-pca`. */
export const PRIVATE_CA_ARN_ENV = {
  name: 'PRIVATE_CA_ARN',
  key: 'privateCaArn',
  required: false,
  source: 'setting',
  description: 'ARN of the ACM Private CA that signs the certificates (with CERTIFICATE_ISSUER=acm-pca).',
} as const satisfies EnvVarSpec;
export const CERTIFICATE_VALIDITY_ENV = {
  name: 'CERTIFICATE_VALIDITY_DAYS',
  key: 'validityDays',
  type: 'wholeNumber',
  required: false,
  source: 'setting',
  description: 'Days a certificate the private CA signs is valid (with CERTIFICATE_ISSUER=acm-pca).',
} as const satisfies EnvVarSpec;
export const PRIVATE_CA_ENV = [PRIVATE_CA_ARN_ENV, CERTIFICATE_VALIDITY_ENV] as const;

/**
 * The campaign pacing the fan-out gives each audit's campaign, by the pacing figure each sets: derived
 * from the quotas unless set. Read as a group by `pacingFromEnv` (functions/event-triggered/audit-fanout/pacing-env.ts).
 */
export const PACING_VARIABLES = {
  startsPerSecond: {
    name: 'PACING_STARTS_PER_SECOND',
    required: false,
    source: 'setting',
    description:
      'Rotations a campaign starts per second, at most (derived from the tightest quota when unset).',
  },
  maxInFlight: {
    name: 'PACING_MAX_IN_FLIGHT',
    required: false,
    source: 'setting',
    description: 'Rotations of a campaign started and not finished, at most (parked ones do not count).',
  },
  failureRateThreshold: {
    name: 'PACING_FAILURE_RATE_THRESHOLD',
    required: false,
    source: 'setting',
    description: 'A campaign stops starting rotations when failed / finished passes this fraction (0.1).',
  },
  minFinishedForFailureRate: {
    name: 'PACING_MIN_FINISHED',
    required: false,
    source: 'setting',
    description: 'Rotations that must finish before the failure rate is judged (20).',
  },
  quotas: {
    name: 'PACING_QUOTAS',
    required: false,
    source: 'setting',
    description: 'JSON object of raised API quotas (calls per second), e.g. {"iot:UpdateCertificate": 50}.',
  },
  headroom: {
    name: 'PACING_HEADROOM',
    required: false,
    source: 'setting',
    description: 'Share of the tightest quota campaigns use (0.95), the rest left to other callers.',
  },
} as const satisfies Readonly<Record<string, EnvVarSpec>>;
export type PacingVariable = keyof typeof PACING_VARIABLES;

/** The fan-out's pacing variables, with who signs the certificates (a private CA's quotas differ). */
export const PACING_ENV = [
  PACING_VARIABLES.startsPerSecond,
  PACING_VARIABLES.maxInFlight,
  PACING_VARIABLES.failureRateThreshold,
  PACING_VARIABLES.minFinishedForFailureRate,
  PACING_VARIABLES.quotas,
  PACING_VARIABLES.headroom,
  ISSUER_KIND_ENV,
] as const satisfies readonly EnvVarSpec[];

/**
 * Variables every deployed function gets besides its contract's, read by Powertools (logs, metrics)
 * and Node.js rather than by recert's code.
 */
export const DEPLOYED_RUNTIME_ENV = {
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  nodeOptions: 'NODE_OPTIONS',
} as const;
