/**
 * The campaign pacing an audit fan-out gives its campaigns: derived from AWS's quotas (or the raised
 * ones a deployment names), with any explicit setting from the environment taking precedence.
 */
import { z } from 'zod';
import { type DerivedPacing, derivePacing, type PacingSettings } from '../../../workflows/campaign/pacing.ts';
import { ISSUER_KINDS, type IssuerKind, issuerKindOf } from '../../../workflows/rotate-device/api-calls.ts';
import {
  ISSUER_KIND_ENV,
  PACING_VARIABLES,
  type PacingVariable,
} from '../../../workflows/rotate-device/functions.ts';

/** The variables' names, from the fan-out's contract entry. */
export const PACING_ENV_NAMES = {
  ...(Object.fromEntries(
    Object.entries(PACING_VARIABLES).map(([figure, variable]) => [figure, variable.name]),
  ) as { readonly [F in PacingVariable]: string }),
  // Who signs the new certificates: a private CA's calls have quotas of their own.
  issuer: ISSUER_KIND_ENV.name,
} as const;

export class PacingConfigurationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PacingConfigurationError';
  }
}

const Quotas = z.record(z.string(), z.number());

function numberOf(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) {
    throw new PacingConfigurationError(
      `environment variable ${name} must be a number, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

function quotasOf(env: Readonly<Record<string, string | undefined>>): Record<string, number> | undefined {
  const text = env[PACING_ENV_NAMES.quotas];
  if (text === undefined || text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PacingConfigurationError(`${PACING_ENV_NAMES.quotas} is not JSON`, { cause: error });
  }
  const quotas = Quotas.safeParse(parsed);
  if (!quotas.success) {
    throw new PacingConfigurationError(
      `${PACING_ENV_NAMES.quotas} must be a JSON object of API name to calls per second, e.g. {"iot:UpdateCertificate": 50}`,
    );
  }
  return quotas.data;
}

function issuerOf(env: Readonly<Record<string, string | undefined>>): IssuerKind {
  const text = env[PACING_ENV_NAMES.issuer];
  if (text === undefined || text.trim() === '') return 'aws-iot';
  const issuer = issuerKindOf(text);
  if (issuer === undefined) {
    throw new PacingConfigurationError(
      `environment variable ${PACING_ENV_NAMES.issuer} must be one of ${ISSUER_KINDS.join(', ')}, got ${JSON.stringify(text)}`,
    );
  }
  return issuer;
}

/** The pacing from the environment; a bad value is a named error that says which variable. */
export function pacingFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): DerivedPacing {
  const overrides: { -readonly [K in keyof PacingSettings]?: number } = {};
  for (const key of [
    'startsPerSecond',
    'maxInFlight',
    'failureRateThreshold',
    'minFinishedForFailureRate',
  ] as const) {
    const value = numberOf(env, PACING_ENV_NAMES[key]);
    if (value !== undefined) overrides[key] = value;
  }
  const quotas = quotasOf(env);
  const headroom = numberOf(env, PACING_ENV_NAMES.headroom);
  const issuer = issuerOf(env);
  try {
    return derivePacing({
      overrides,
      issuer,
      ...(quotas ? { quotas } : {}),
      ...(headroom !== undefined ? { headroom } : {}),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PacingConfigurationError(`the campaign pacing settings are invalid: ${message}`, {
      cause: error,
    });
  }
}

/** What a campaign input carries of the pacing (the derivation's details stay out). */
export const pacingSettingsOf = (pacing: PacingSettings): PacingSettings => ({
  startsPerSecond: pacing.startsPerSecond,
  maxInFlight: pacing.maxInFlight,
  failureRateThreshold: pacing.failureRateThreshold,
  minFinishedForFailureRate: pacing.minFinishedForFailureRate,
});
