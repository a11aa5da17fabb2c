/**
 * The campaign contract: rotations queued in the campaign table, their starts paced by a Standard state
 * machine at the quotas' pace; `infra/` and `local/` read it as they read the rotate-device contract.
 */

export * from './errors.ts';
export * from './events.ts';
export * from './functions.ts';
export * from './history.ts';
export * from './pacing.ts';
export * from './placeholders.ts';
export * from './quotas.ts';
export * from './render.ts';
export * from './settings.ts';
export * from './table.ts';
export * from './types.ts';

export const CAMPAIGN_STATE_MACHINE = {
  name: 'recert-campaign',
  type: 'STANDARD',
  queryLanguage: 'JSONata',
  definitionFile: 'asl/campaign.asl.json',
} as const;
