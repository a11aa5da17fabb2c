import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DefinitionRenderError, substitute, substituteAll } from '../rotate-device/render.ts';
import { resolveSettings, type Settings } from '../rotate-device/settings.ts';
import type { CampaignFunctionId } from './functions.ts';
import { HISTORY_EVENT_LIMIT, worstCaseHistoryEvents } from './history.ts';
import { CAMPAIGN_PLACEHOLDERS } from './placeholders.ts';
import { type CampaignSettings, resolveCampaignSettings } from './settings.ts';

export const CAMPAIGN_DEFINITION_PATH = fileURLToPath(
  new URL('../../asl/campaign.asl.json', import.meta.url),
);

export function readCampaignDefinitionTemplate(path: string = CAMPAIGN_DEFINITION_PATH): string {
  return readFileSync(path, 'utf8');
}

export interface CampaignRenderSettings {
  /** The rotation workflow's settings (only the TransientRetry* ones are used). */
  readonly rotation?: Partial<Settings>;
  readonly campaign?: Partial<CampaignSettings>;
}

function settingValues(settings: CampaignRenderSettings): Map<string, number> {
  const rotation = resolveSettings(settings.rotation ?? {});
  const campaign = resolveCampaignSettings(settings.campaign ?? {});
  const worst = worstCaseHistoryEvents({
    turns: campaign.CampaignTurnsPerExecution,
    retriesPerTurn: rotation.TransientRetryMaxAttempts,
  });
  if (worst >= HISTORY_EVENT_LIMIT) {
    throw new DefinitionRenderError(
      `a campaign execution of ${campaign.CampaignTurnsPerExecution} turns with ` +
        `${rotation.TransientRetryMaxAttempts} retries per turn could write ${worst} history events, over ` +
        `Step Functions' ${HISTORY_EVENT_LIMIT}: lower CampaignTurnsPerExecution`,
    );
  }
  const values = new Map<string, number>();
  for (const [name, binding] of Object.entries(CAMPAIGN_PLACEHOLDERS)) {
    if (binding.kind === 'rotation-setting') values.set(name, rotation[binding.setting]);
    if (binding.kind === 'campaign-setting') values.set(name, campaign[binding.setting]);
  }
  return values;
}

/** Only the settings replaced, the function ARNs left for CloudFormation's DefinitionSubstitutions. */
export function bakeCampaignSettings(
  template: string = readCampaignDefinitionTemplate(),
  settings: CampaignRenderSettings = {},
): string {
  return substitute(template, settingValues(settings));
}

/** The campaign definition ready for CreateStateMachine: every placeholder replaced. */
export function renderCampaignDefinition(
  functionArns: Readonly<Partial<Record<CampaignFunctionId, string>>>,
  settings: CampaignRenderSettings = {},
  template: string = readCampaignDefinitionTemplate(),
): string {
  const values = new Map<string, string | number>(settingValues(settings));
  for (const [name, binding] of Object.entries(CAMPAIGN_PLACEHOLDERS)) {
    if (binding.kind !== 'function') continue;
    const arn = functionArns[binding.functionId];
    if (!arn) throw new DefinitionRenderError(`no ARN given for function ${binding.functionId} (${name})`);
    values.set(name, arn);
  }
  return substituteAll(template, values, 'campaign definition');
}
