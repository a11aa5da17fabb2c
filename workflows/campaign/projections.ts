/**
 * How long a fleet takes to rotate at the quotas' pace (the README's table, `recert pacing`): starts at
 * the start rate unless the in-flight ceiling holds them (Little's law), plus the last rotation's time.
 */
import type { ApiCalls } from '../rotate-device/api-calls.ts';
import {
  DEFAULT_ACTIVE_ROTATION_SECONDS,
  type DerivedPacing,
  derivePacing,
  InvalidPacingError,
  type PacingSettings,
} from './pacing.ts';
import { AWS_DEFAULT_QUOTAS, QUOTED_APIS, type QuotedApi } from './quotas.ts';

/** The fleet sizes the README projects. */
export const PROJECTED_FLEET_SIZES = [1_000_000, 10_000_000] as const;

/**
 * Seconds to rotate `devices` devices that answer at once: every start at the sustained rate plus the last
 * rotation's tail; offline devices are parked and slow no one.
 */
export function projectCampaign(
  devices: number,
  pacing: Pick<PacingSettings, 'startsPerSecond' | 'maxInFlight'>,
  rotationSeconds: number = DEFAULT_ACTIVE_ROTATION_SECONDS,
): number {
  if (!Number.isInteger(devices) || devices < 0) {
    throw new InvalidPacingError(`devices must be a whole number >= 0, not ${devices}`);
  }
  if (!(rotationSeconds > 0) || !Number.isFinite(rotationSeconds)) {
    throw new InvalidPacingError(`rotationSeconds must be a positive number, not ${rotationSeconds}`);
  }
  if (devices === 0) return 0;
  return devices / sustainedRate(pacing, rotationSeconds) + rotationSeconds;
}

/** Starts per second a campaign keeps up: its start rate, or less when the in-flight ceiling binds. */
export function sustainedRate(
  pacing: Pick<PacingSettings, 'startsPerSecond' | 'maxInFlight'>,
  rotationSeconds: number = DEFAULT_ACTIVE_ROTATION_SECONDS,
): number {
  if (!(pacing.startsPerSecond > 0) || !(pacing.maxInFlight >= 1)) {
    throw new InvalidPacingError(
      `pacing needs a positive start rate and an in-flight ceiling >= 1, not ${pacing.startsPerSecond} and ${pacing.maxInFlight}`,
    );
  }
  return Math.min(pacing.startsPerSecond, pacing.maxInFlight / rotationSeconds);
}

/** The APIs of the IoT registry and certificate authority: the ones AWS raises on request per account. */
const IOT_CONTROL_PLANE_APIS: readonly QuotedApi[] = QUOTED_APIS.filter(
  (api) => api.startsWith('iot:') && api !== 'iot:Connect' && api !== 'iot:Publish',
);
/**
 * The certificate APIs and the principal lookups: at AWS's defaults a rotation calls each of the
 * 10 TPS ones once, so raising the certificate APIs alone would leave ListPrincipalThings in charge.
 */
const CERTIFICATE_APIS: readonly QuotedApi[] = [
  'iot:CreateCertificateFromCsr',
  'iot:UpdateCertificate',
  'iot:DeleteCertificate',
  'iot:DescribeCertificate',
  'iot:ListPrincipalThings',
  'iot:ListThingPrincipals',
];

function raised(apis: readonly QuotedApi[], rate: (api: QuotedApi) => number): Record<string, number> {
  return Object.fromEntries(apis.map((api) => [api, Math.max(AWS_DEFAULT_QUOTAS[api], rate(api))]));
}

export interface ProjectionScenario {
  readonly name: string;
  /** Which quotas differ from AWS's defaults, in words. */
  readonly raised: string;
  readonly quotas: Readonly<Record<string, number>>;
}

/**
 * AWS's defaults, then Service Quotas increases: the certificate APIs alone, every IoT control-plane API
 * at 100 TPS, and at 500 TPS (where Step Functions' own limits come next).
 */
export const PROJECTION_SCENARIOS: readonly ProjectionScenario[] = [
  { name: 'AWS defaults', raised: 'none', quotas: {} },
  {
    name: 'certificate and principal APIs 10x',
    raised: `${CERTIFICATE_APIS.map((api) => api.slice('iot:'.length)).join(', ')} at 10x their defaults`,
    quotas: raised(CERTIFICATE_APIS, (api) => AWS_DEFAULT_QUOTAS[api] * 10),
  },
  {
    name: 'IoT APIs at 100 TPS',
    raised: 'every IoT registry and certificate API below 100 TPS raised to 100 TPS',
    quotas: raised(IOT_CONTROL_PLANE_APIS, () => 100),
  },
  {
    name: 'IoT APIs at 500 TPS',
    raised: 'every IoT registry and certificate API raised to 500 TPS',
    quotas: raised(IOT_CONTROL_PLANE_APIS, () => 500),
  },
];

export interface Projection {
  readonly scenario: ProjectionScenario;
  readonly pacing: DerivedPacing;
  /** Seconds per fleet size, in the order of `sizes`. */
  readonly seconds: readonly { readonly devices: number; readonly seconds: number }[];
}

/** `calls`: the calls of one rotation, the workflow's own table by default. */
export function projectScenarios(
  scenarios: readonly ProjectionScenario[] = PROJECTION_SCENARIOS,
  sizes: readonly number[] = PROJECTED_FLEET_SIZES,
  calls?: ApiCalls,
): Projection[] {
  return scenarios.map((scenario) => {
    const pacing = derivePacing({ quotas: scenario.quotas, ...(calls ? { calls } : {}) });
    return {
      scenario,
      pacing,
      seconds: sizes.map((devices) => ({ devices, seconds: projectCampaign(devices, pacing) })),
    };
  });
}

/** A duration as people read it: minutes, hours or days, with one decimal. */
export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 2 * 3600) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 72 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

const sizeLabel = (devices: number): string => `${devices.toLocaleString('en-US')} devices`;
const rateLabel = (rate: number): string => (rate >= 100 ? rate.toFixed(0) : rate.toFixed(2));

/** The projections as the markdown table of the README (what `npm run projections` prints). */
export function projectionsMarkdown(projections: readonly Projection[] = projectScenarios()): string {
  const sizes = projections[0]?.seconds.map((s) => s.devices) ?? [];
  const header = [
    'quotas',
    'limited by',
    'allows (rotations/s)',
    'start rate',
    'in flight at most',
    ...sizes.map(sizeLabel),
  ];
  const align = ['---', '---', '---:', '---:', '---:', ...sizes.map(() => '---:')];
  const rows = projections.map((p) => [
    `${p.scenario.name}: ${p.scenario.raised}`,
    `${p.pacing.limitedBy.api} (${p.pacing.limitedBy.quota} TPS / ${p.pacing.limitedBy.callsPerRotation} per rotation)`,
    rateLabel(p.pacing.limitedBy.rotationsPerSecond),
    `${rateLabel(p.pacing.startsPerSecond)}/s`,
    p.pacing.maxInFlight.toLocaleString('en-US'),
    ...p.seconds.map((s) => formatDuration(s.seconds)),
  ]);
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
