import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import {
  CAMPAIGN_PLACEHOLDERS,
  readCampaignDefinitionTemplate,
  renderCampaignDefinition,
} from '../../workflows/campaign/contract.ts';
import { placeholdersIn } from '../../workflows/rotate-device/render.ts';

const ARNS = {
  'campaign-enqueue': 'arn:aws:lambda:us-east-1:000000000000:function:recert-campaign-enqueue',
  'campaign-pacer': 'arn:aws:lambda:us-east-1:000000000000:function:recert-campaign-pacer',
};
const template = readCampaignDefinitionTemplate();
const rendered = renderCampaignDefinition(ARNS, { campaign: { CampaignTurnsPerExecution: 7 } });
const definition = JSON.parse(rendered);
const validation = aslValidator(definition);

interface StateLike {
  Type?: string;
  Retry?: { ErrorEquals: string[]; JitterStrategy?: string; MaxAttempts?: unknown }[];
  Catch?: unknown;
  Arguments?: { Payload?: Record<string, unknown> };
}
const branches: { States: Record<string, StateLike> }[] = definition.States.Campaign.Branches;
const state = (name: string): StateLike | undefined => branches.map((b) => b.States[name]).find(Boolean);

describe('asl/campaign.asl.json', () => {
  it('is valid Amazon States Language once rendered', () => {
    expect(validation.errors ?? []).toEqual([]);
    expect(validation.isValid).toBe(true);
  });

  it('binds every placeholder it uses, and uses every binding', () => {
    expect(placeholdersIn(template)).toEqual(Object.keys(CAMPAIGN_PLACEHOLDERS).sort());
    expect(placeholdersIn(rendered)).toEqual([]);
  });

  it('retries transient errors with full jitter and lets RecertCampaignStopped fail the execution at Pace', () => {
    for (const name of ['Enqueue', 'Pace']) {
      const retry = state(name)?.Retry ?? [];
      expect(retry.map((r) => r.JitterStrategy)).toEqual(['FULL']);
      expect(retry[0]?.ErrorEquals).toContain('TransientAwsError');
      expect(retry.flatMap((r) => r.ErrorEquals)).not.toContain('RecertCampaignStopped');
      expect(retry.flatMap((r) => r.ErrorEquals)).not.toContain('States.ALL');
      expect(state(name)?.Catch).toBeUndefined();
      expect(typeof retry[0]?.MaxAttempts).toBe('number');
    }
    const fails = branches.flatMap((b) => Object.values(b.States)).filter((s) => s.Type === 'Fail');
    expect(fails).toEqual([]);
  });

  it('tells the pacer its last turn from the rendered turn count', () => {
    expect(state('Pace')?.Arguments?.Payload?.lastTurn).toBe('{% $turn >= 7 %}');
  });
});
