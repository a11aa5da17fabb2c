import type { EnvVarSpec } from './function-spec.ts';

/** Environment variables several functions of the rotation workflow read. */

export const TABLE_ENV: EnvVarSpec = {
  name: 'ROTATION_TABLE_NAME',
  required: true,
  source: 'rotationTable',
  description: 'Name of the rotation table.',
};
export const IOT_DATA_ENV: EnvVarSpec = {
  name: 'IOT_DATA_ENDPOINT',
  required: true,
  source: 'iotDataEndpoint',
  description: "https URL of the account's IoT data endpoint (iot:Data-ATS), for Publish.",
};
export const METRICS_ENV: EnvVarSpec = {
  name: 'METRICS_NAMESPACE',
  required: false,
  source: 'setting',
  default: 'recert',
  description: 'CloudWatch namespace of the metrics.',
};

/** Functions that move a campaign's counters (outcome, parked) on its META item and their own items. */
export const CAMPAIGN_COUNTERS_ENV: EnvVarSpec = {
  name: 'CAMPAIGN_TABLE_NAME',
  required: true,
  source: 'campaignTable',
  description: "Name of the campaign table, whose counters a campaign's rotations move.",
};

/** The campaign pacing the fan-out gives each audit's campaign: derived from the quotas unless set. */
export const PACING_ENV: readonly EnvVarSpec[] = [
  {
    name: 'PACING_STARTS_PER_SECOND',
    required: false,
    source: 'setting',
    description:
      'Rotations a campaign starts per second, at most (derived from the tightest quota when unset).',
  },
  {
    name: 'PACING_MAX_IN_FLIGHT',
    required: false,
    source: 'setting',
    description: 'Rotations of a campaign started and not finished, at most (parked ones do not count).',
  },
  {
    name: 'PACING_FAILURE_RATE_THRESHOLD',
    required: false,
    source: 'setting',
    description: 'A campaign stops starting rotations when failed / finished passes this fraction (0.1).',
  },
  {
    name: 'PACING_MIN_FINISHED',
    required: false,
    source: 'setting',
    description: 'Rotations that must finish before the failure rate is judged (20).',
  },
  {
    name: 'PACING_QUOTAS',
    required: false,
    source: 'setting',
    description: 'JSON object of raised API quotas (calls per second), e.g. {"iot:UpdateCertificate": 50}.',
  },
  {
    name: 'PACING_HEADROOM',
    required: false,
    source: 'setting',
    description: 'Share of the tightest quota campaigns use (0.95), the rest left to other callers.',
  },
  {
    name: 'CERTIFICATE_ISSUER',
    required: false,
    source: 'setting',
    default: 'aws-iot',
    description:
      "Who signs new certificates (aws-iot or acm-pca): a private CA's calls have quotas of their own.",
  },
];
