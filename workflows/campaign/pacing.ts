/**
 * How fast a campaign may start rotations: the smallest quota / calls-per-rotation over the APIs on a
 * rotation's path, times a headroom for the account's other callers; every figure can be overridden.
 */
import {
  type ApiCalls,
  type IssuerKind,
  rotationApiCalls,
  startApiCalls,
  sumApiCalls,
} from '../rotate-device/api-calls.ts';
import { type ApiQuotas, QUOTED_APIS, type QuotedApi, resolveQuotas } from './quotas.ts';

export interface PacingSettings {
  /** Rotations started per second, at most. */
  readonly startsPerSecond: number;
  /**
   * Rotations started and not finished, at most; a parked rotation (device offline) does not count: it makes
   * no API calls while it waits, and must not hold up the fleet.
   */
  readonly maxInFlight: number;
  /** Stop starting rotations once failed / finished passes this fraction (0 < x <= 1). */
  readonly failureRateThreshold: number;
  /** ... but only once this many rotations have finished (a first failure is not a rate). */
  readonly minFinishedForFailureRate: number;
}

export interface ApiLimit {
  readonly api: QuotedApi;
  readonly quota: number;
  readonly callsPerRotation: number;
  /** quota / callsPerRotation. */
  readonly rotationsPerSecond: number;
}

export interface DerivedPacing extends PacingSettings {
  /** The API whose quota allows the fewest rotations per second. */
  readonly limitedBy: ApiLimit;
  /** Every API a rotation calls, slowest first. */
  readonly limits: readonly ApiLimit[];
  /** The share of the tightest quota the campaign uses. */
  readonly headroom: number;
}

export interface PacingOptions {
  /** Quotas that differ from AWS's defaults (raised ones). */
  readonly quotas?: Readonly<Partial<Record<string, number>>>;
  /** Policies attached to a typical device certificate (each is attached and detached once). */
  readonly policiesPerCertificate?: number;
  /** Who signs the new certificates (AWS IoT by default): a private CA's calls have their own quotas. */
  readonly issuer?: IssuerKind;
  /** Share of the tightest quota to use, leaving the rest to other callers and to bursts. */
  readonly headroom?: number;
  /** How long (s) a rotation of an answering device keeps its slot; sizes the in-flight ceiling. */
  readonly activeRotationSeconds?: number;
  /** Explicit settings; each replaces the derived value. */
  readonly overrides?: Partial<PacingSettings>;
  /** The calls of one rotation, its start included (defaults to the workflow's own tables). */
  readonly calls?: ApiCalls;
}

export const DEFAULT_HEADROOM = 0.95;
export const DEFAULT_ACTIVE_ROTATION_SECONDS = 60;
export const DEFAULT_FAILURE_RATE_THRESHOLD = 0.1;
export const DEFAULT_MIN_FINISHED_FOR_FAILURE_RATE = 20;

export class InvalidPacingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPacingError';
  }
}

/** The rotation rate each quota allows, slowest first. */
export function apiLimits(quotas: ApiQuotas, calls: ApiCalls): ApiLimit[] {
  const limits: ApiLimit[] = [];
  for (const api of QUOTED_APIS) {
    const callsPerRotation = calls[api] ?? 0;
    if (callsPerRotation <= 0) continue;
    const quota = quotas[api];
    limits.push({ api, quota, callsPerRotation, rotationsPerSecond: quota / callsPerRotation });
  }
  return limits.sort((a, b) => a.rotationsPerSecond - b.rotationsPerSecond || a.api.localeCompare(b.api));
}

function check(name: string, value: number, ok: boolean, what: string): void {
  if (!Number.isFinite(value) || !ok) throw new InvalidPacingError(`${name} must be ${what}, not ${value}`);
}

export function validatePacing(settings: PacingSettings): void {
  check('startsPerSecond', settings.startsPerSecond, settings.startsPerSecond > 0, 'a positive number');
  check(
    'maxInFlight',
    settings.maxInFlight,
    Number.isInteger(settings.maxInFlight) && settings.maxInFlight >= 1,
    'a whole number >= 1',
  );
  check(
    'failureRateThreshold',
    settings.failureRateThreshold,
    settings.failureRateThreshold > 0 && settings.failureRateThreshold <= 1,
    'a fraction in (0, 1]',
  );
  check(
    'minFinishedForFailureRate',
    settings.minFinishedForFailureRate,
    Number.isInteger(settings.minFinishedForFailureRate) && settings.minFinishedForFailureRate >= 1,
    'a whole number >= 1',
  );
}

/** The campaign's pacing: derived from the quotas, with any explicit setting taking precedence. */
export function derivePacing(options: PacingOptions = {}): DerivedPacing {
  const headroom = options.headroom ?? DEFAULT_HEADROOM;
  check('headroom', headroom, headroom > 0 && headroom <= 1, 'a fraction in (0, 1]');
  const active = options.activeRotationSeconds ?? DEFAULT_ACTIVE_ROTATION_SECONDS;
  check('activeRotationSeconds', active, active > 0, 'a positive number');
  const quotas = resolveQuotas(options.quotas);
  // A campaign pays for each rotation's start as well as for the rotation itself.
  const calls =
    options.calls ??
    sumApiCalls(
      rotationApiCalls(options.policiesPerCertificate ?? 1, options.issuer ?? 'aws-iot'),
      startApiCalls(),
    );
  const limits = apiLimits(quotas, calls);
  const limitedBy = limits[0];
  if (!limitedBy)
    throw new InvalidPacingError('a rotation calls no rate-limited API: nothing to derive from');
  const derivedRate = limitedBy.rotationsPerSecond * headroom;
  const startsPerSecond = options.overrides?.startsPerSecond ?? derivedRate;
  const settings: PacingSettings = {
    startsPerSecond,
    // Little's law: the rotations that are active at once when they start at this rate.
    maxInFlight: options.overrides?.maxInFlight ?? Math.max(1, Math.ceil(startsPerSecond * active)),
    failureRateThreshold: options.overrides?.failureRateThreshold ?? DEFAULT_FAILURE_RATE_THRESHOLD,
    minFinishedForFailureRate:
      options.overrides?.minFinishedForFailureRate ?? DEFAULT_MIN_FINISHED_FOR_FAILURE_RATE,
  };
  validatePacing(settings);
  return { ...settings, limitedBy, limits, headroom };
}
