/**
 * The quota run's quotas: AWS IoT's default rates, optionally scaled down, given both to the local IoT
 * and to the campaign's pacing, so the pacing derives from exactly what the local IoT enforces.
 */
import { AWS_IOT_DEFAULT_TPS } from '../local/iot/quotas/api-quotas.ts';
import { QUOTED_APIS, type QuotedApi } from '../workflows/campaign/quotas.ts';

/** A per-client-id limit (1 CONNECT per second per client id) is not a fleet rate: never scaled. */
const UNSCALED = new Set(['MQTT:ConnectPerClientId']);

/** The local IoT's name of an IoT API the pacing knows as `iot:<Action>`. */
export function localOperationOf(api: QuotedApi): string | undefined {
  if (!api.startsWith('iot:')) return undefined;
  if (api === 'iot:Connect') return 'MQTT:Connect';
  return api.slice('iot:'.length);
}

export class InvalidQuotaScaleError extends Error {
  override readonly name = 'InvalidQuotaScaleError';
}

export interface QuotaRunQuotas {
  /** What the local IoT enforces (`LocalAws` option `quotas`). */
  readonly enforced: Readonly<Record<string, number>>;
  /** The same rates as pacing quotas (`derivePacing({ quotas })`); Step Functions' stay AWS's. */
  readonly pacing: Readonly<Record<string, number>>;
}

/** AWS's default IoT rates times `scale` (1: the defaults themselves). */
export function quotaRunQuotas(scale = 1): QuotaRunQuotas {
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1) {
    throw new InvalidQuotaScaleError(`quota scale must be a fraction in (0, 1], not ${scale}`);
  }
  const enforced: Record<string, number> = {};
  for (const [operation, rate] of Object.entries(AWS_IOT_DEFAULT_TPS)) {
    enforced[operation] = UNSCALED.has(operation) ? rate : rate * scale;
  }
  const pacing: Record<string, number> = {};
  for (const api of QUOTED_APIS) {
    const operation = localOperationOf(api);
    const rate = operation === undefined ? undefined : enforced[operation];
    if (rate !== undefined) pacing[api] = rate;
  }
  return { enforced, pacing };
}
