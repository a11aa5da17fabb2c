import type { SettingName } from '../rotate-device/settings.ts';
import type { CampaignFunctionId } from './functions.ts';
import type { CampaignSettingName } from './settings.ts';

/** What binds a `${Placeholder}` of `asl/campaign.asl.json`. */
export type CampaignPlaceholderBinding =
  | { readonly kind: 'function'; readonly functionId: CampaignFunctionId; readonly description: string }
  | { readonly kind: 'campaign-setting'; readonly setting: CampaignSettingName; readonly description: string }
  | { readonly kind: 'rotation-setting'; readonly setting: SettingName; readonly description: string };

const retry = (setting: SettingName): CampaignPlaceholderBinding => ({
  kind: 'rotation-setting',
  setting,
  description: `The rotation workflow's ${setting}: both state machines back off from throttles alike.`,
});

export const CAMPAIGN_PLACEHOLDERS: Readonly<Record<string, CampaignPlaceholderBinding>> = {
  CampaignEnqueueFunctionArn: {
    kind: 'function',
    functionId: 'campaign-enqueue',
    description: 'ARN of the function that writes the start queue.',
  },
  CampaignPacerFunctionArn: {
    kind: 'function',
    functionId: 'campaign-pacer',
    description: 'ARN of the function that starts the queued rotations at the pacing.',
  },
  CampaignTurnsPerExecution: {
    kind: 'campaign-setting',
    setting: 'CampaignTurnsPerExecution',
    description: 'Pacer turns before a fresh execution takes over.',
  },
  TransientRetryIntervalSeconds: retry('TransientRetryIntervalSeconds'),
  TransientRetryMaxAttempts: retry('TransientRetryMaxAttempts'),
  TransientRetryBackoffRate: retry('TransientRetryBackoffRate'),
  TransientRetryMaxDelaySeconds: retry('TransientRetryMaxDelaySeconds'),
};
