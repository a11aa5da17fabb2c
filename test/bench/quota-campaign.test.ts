import { describe, expect, it } from 'vitest';
import { runQuotaCampaign } from '../../bench/quota-run.ts';

// The quota run at a small size: every IoT quota at a fifth of AWS's default (the same shape, a
// rate this shared machine sustains with room to spare), 40 devices in a second process, the local
// clock at twice real time. The 2,000-device run at the defaults is `npm run bench:quota`.
describe('a paced campaign under enforced IoT quotas', () => {
  it('rotates every device, none failed by throttling, never faster than the tightest quota allows', async () => {
    // Act
    const result = await runQuotaCampaign({
      devices: 40,
      quotaScale: 0.2,
      clockSpeed: 2,
      functionWorkers: 0,
    });
    // Assess
    const figures = JSON.stringify({
      ...result.figures,
      verdict: result.verdict,
      throttled: result.throttled,
    });
    expect(result.figures.failed, figures).toBe(0);
    expect(result.figures.failedByThrottling).toBe(0);
    expect(result.figures.succeeded).toBe(40);
    expect(result.fleet.withoutWorkingCredentials).toBe(0);
    const allowance = result.pacing.limitedBy.rotationsPerSecond;
    expect(allowance).toBeCloseTo(2, 9);
    // How close the rate comes to the allowance depends on the machine: `npm run bench:quota` reports it.
    expect(result.figures.rotationsPerSecond, figures).toBeLessThanOrEqual(allowance * 1.1);
  }, 120_000);
});
