import { describe, expect, it } from 'vitest';
import {
  CAMPAIGN_SETTINGS,
  EVENTS_PER_TURN,
  HISTORY_EVENT_LIMIT,
  renderCampaignDefinition,
  typicalHistoryEvents,
  worstCaseHistoryEvents,
} from '../../workflows/campaign/contract.ts';
import { SETTINGS } from '../../workflows/rotate-device/settings.ts';

const ARNS = {
  'campaign-enqueue': 'arn:aws:lambda:us-east-1:000000000000:function:recert-campaign-enqueue',
  'campaign-pacer': 'arn:aws:lambda:us-east-1:000000000000:function:recert-campaign-pacer',
};

describe('campaign history bound', () => {
  it('known answer: the default turns write about 3,500 events, and at most about half the limit with every retry spent', () => {
    // Prepare
    const turns = CAMPAIGN_SETTINGS.CampaignTurnsPerExecution.default;
    const retries = SETTINGS.TransientRetryMaxAttempts.default;
    // Act
    const typical = typicalHistoryEvents(turns);
    const worst = worstCaseHistoryEvents({ turns, retriesPerTurn: retries });
    // Assess: 250 pacer turns and 251 enqueue turns of 7 events, plus 12 for the frame
    expect(turns).toBe(250);
    expect(typical).toBe(501 * EVENTS_PER_TURN + 12);
    expect(worst).toBe(501 * (7 + 6 * 3) + 12);
    expect(worst).toBeLessThan(HISTORY_EVENT_LIMIT * 0.55);
  });

  it('the default turns span hours of pacing per execution (one turn is a one-minute tick)', () => {
    expect(CAMPAIGN_SETTINGS.CampaignTurnsPerExecution.default * 60).toBeGreaterThanOrEqual(4 * 3600);
  });

  it('refuses to render settings whose history could pass the limit', () => {
    expect(() =>
      renderCampaignDefinition(ARNS, {
        campaign: { CampaignTurnsPerExecution: 1000 },
        rotation: { TransientRetryMaxAttempts: 6 },
      }),
    ).toThrow(/lower CampaignTurnsPerExecution/);
  });
});
