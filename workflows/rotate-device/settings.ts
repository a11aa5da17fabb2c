/**
 * The rotation state machine's tunable settings, each a `${Placeholder}` of the ASL with its default; a
 * whole-string placeholder renders as a bare number (Retry fields must be JSON numbers).
 */

export interface SettingSpec {
  readonly default: number;
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
  readonly description: string;
}

const DAY = 86_400;

export const SETTINGS = {
  CsrTimeoutSeconds: {
    default: 3600,
    integer: true,
    min: 1,
    max: 365 * DAY,
    description:
      'How long one CSR request waits for the reply before it is sent again. One hour matches how long ' +
      'AWS IoT keeps QoS 1 messages for an offline persistent session.',
  },
  CsrRetryIntervalSeconds: {
    default: 300,
    integer: true,
    min: 1,
    max: 99_999_999,
    description: 'Delay before the first repeated CSR request after a timeout.',
  },
  CsrRetryMaxAttempts: {
    default: 28,
    integer: true,
    min: 0,
    max: 99_999_999,
    description:
      'How many times a CSR request is repeated after a timeout. With the other defaults the requests ' +
      'span about 6.9 days before the execution fails at RequestCsr (redrivable).',
  },
  CsrRetryBackoffRate: {
    default: 2,
    integer: false,
    min: 1,
    max: 1000,
    description: 'Multiplier of the delay between repeated CSR requests.',
  },
  CsrRetryMaxDelaySeconds: {
    default: 21_600,
    integer: true,
    min: 1,
    max: 31_622_400,
    description: 'Longest delay between two CSR requests (the backoff stops growing there).',
  },
  AckTimeoutSeconds: {
    default: 900,
    integer: true,
    min: 1,
    max: 365 * DAY,
    description: 'How long the delivered certificate waits for crt_ack before it is sent again.',
  },
  AckRetryIntervalSeconds: {
    default: 60,
    integer: true,
    min: 1,
    max: 99_999_999,
    description: 'Delay before the certificate is delivered again after an ack timeout.',
  },
  AckRetryMaxAttempts: {
    default: 3,
    integer: true,
    min: 0,
    max: 99_999_999,
    description:
      'How many times the certificate is delivered again after an ack timeout; then it is revoked and a ' +
      'fresh CSR is requested (one more certificate attempt).',
  },
  AckRetryBackoffRate: {
    default: 2,
    integer: false,
    min: 1,
    max: 1000,
    description: 'Multiplier of the delay between deliveries.',
  },
  AckRetryMaxDelaySeconds: {
    default: 3600,
    integer: true,
    min: 1,
    max: 31_622_400,
    description: 'Longest delay between two deliveries.',
  },
  MaxCertificateAttempts: {
    default: 3,
    integer: true,
    min: 1,
    max: 100,
    description:
      'Certificates one run of an execution may try (a rejected CSR, a crt_err, an unacknowledged ' +
      'delivery or an interrupted issuance each use one). Each redrive grants this many again.',
  },
  TransientRetryIntervalSeconds: {
    default: 2,
    integer: true,
    min: 1,
    max: 99_999_999,
    description: 'First delay before a step is retried after a throttle or service error.',
  },
  TransientRetryMaxAttempts: {
    default: 6,
    integer: true,
    min: 0,
    max: 99_999_999,
    description: 'Retries of a step after throttles or service errors.',
  },
  TransientRetryBackoffRate: {
    default: 2,
    integer: false,
    min: 1,
    max: 1000,
    description: 'Multiplier of the delay between retries after throttles or service errors.',
  },
  TransientRetryMaxDelaySeconds: {
    default: 60,
    integer: true,
    min: 1,
    max: 31_622_400,
    description: 'Longest delay between retries after throttles or service errors (full jitter below it).',
  },
  RecordRetentionSeconds: {
    default: 90 * DAY,
    integer: true,
    min: 1,
    max: 10 * 365 * DAY,
    description: 'How long a finished rotation record is kept before DynamoDB TTL deletes it.',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;
export type Settings = Record<SettingName, number>;

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

export class InvalidSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSettingError';
  }
}

/** The defaults, overridden by `overrides`; every value is checked against its range. */
export function resolveSettings(overrides: Partial<Settings> = {}): Settings {
  const resolved = {} as Settings;
  for (const name of SETTING_NAMES) {
    const spec: SettingSpec = SETTINGS[name];
    const value = overrides[name] ?? spec.default;
    if (!Number.isFinite(value) || value < spec.min || value > spec.max) {
      throw new InvalidSettingError(
        `setting ${name} must be within [${spec.min}, ${spec.max}], got ${value}`,
      );
    }
    if (spec.integer && !Number.isInteger(value)) {
      throw new InvalidSettingError(`setting ${name} must be an integer, got ${value}`);
    }
    resolved[name] = value;
  }
  for (const name of Object.keys(overrides)) {
    if (!(name in SETTINGS)) throw new InvalidSettingError(`unknown setting ${name}`);
  }
  return resolved;
}

/**
 * How long a device may stay silent before the CSR wait gives up: every timeout plus every delay (Step
 * Functions waits IntervalSeconds * BackoffRate^(n-1), capped at MaxDelaySeconds); exact: no jitter.
 */
export function csrWaitSpanSeconds(settings: Settings): number {
  let total = settings.CsrTimeoutSeconds;
  for (let n = 1; n <= settings.CsrRetryMaxAttempts; n++) {
    const delay = Math.min(
      settings.CsrRetryIntervalSeconds * settings.CsrRetryBackoffRate ** (n - 1),
      settings.CsrRetryMaxDelaySeconds,
    );
    total += delay + settings.CsrTimeoutSeconds;
  }
  return total;
}
