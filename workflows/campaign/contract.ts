/**
 * The contract of the campaign workflow: how a fleet's rotations are started at the pace AWS's
 * quotas allow. A campaign queues the rotations to start (from an audit task or an operator's list)
 * in the campaign table and a Standard state machine paces their starts, durably, for as long as the
 * fleet takes. `infra/` and `local/` read this, as they read `../rotate-device/contract.ts`.
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
