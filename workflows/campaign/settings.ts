/**
 * The campaign state machine's tunable settings, each a `${Placeholder}` of `asl/campaign.asl.json`; its
 * retries are the rotation's `TransientRetry*`, so both back off from throttles alike.
 */
import type { SettingSpec } from '../rotate-device/settings.ts';

export const CAMPAIGN_SETTINGS = {
  CampaignTurnsPerExecution: {
    default: 250,
    integer: true,
    min: 1,
    max: 1000,
    description:
      'Pacer turns (about a minute each) one campaign execution runs before a fresh execution takes ' +
      'over, so its history stays far below the 25,000-event limit (see history.ts).',
  },
} as const satisfies Record<string, SettingSpec>;

export type CampaignSettingName = keyof typeof CAMPAIGN_SETTINGS;
export type CampaignSettings = Record<CampaignSettingName, number>;

export class InvalidCampaignSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCampaignSettingError';
  }
}

export function resolveCampaignSettings(overrides: Partial<CampaignSettings> = {}): CampaignSettings {
  for (const name of Object.keys(overrides)) {
    if (!(name in CAMPAIGN_SETTINGS))
      throw new InvalidCampaignSettingError(`unknown campaign setting ${name}`);
  }
  const spec = CAMPAIGN_SETTINGS.CampaignTurnsPerExecution;
  const turns = overrides.CampaignTurnsPerExecution ?? spec.default;
  if (!Number.isInteger(turns) || turns < spec.min || turns > spec.max) {
    throw new InvalidCampaignSettingError(
      `setting CampaignTurnsPerExecution must be a whole number within [${spec.min}, ${spec.max}], got ${turns}`,
    );
  }
  return { CampaignTurnsPerExecution: turns };
}
