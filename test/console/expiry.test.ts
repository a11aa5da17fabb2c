import { UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTarget } from '../../cli/target/local-target.ts';
import type { Target } from '../../cli/target/target.ts';
import { ExpiryCache } from '../../console/data/expiry.ts';
import { enableExpiringCheck, runExpiringAudit } from '../cli/helpers/expiring-check.ts';
import { type CliHarness, startCliHarness } from '../cli/helpers/local-aws.ts';

const DAY = 86_400_000;
let h: CliHarness;
let target: Target;

beforeAll(async () => {
  h = await startCliHarness();
  target = await localTarget(h.stateDir);
});
afterAll(async () => {
  target?.close();
  await h?.close();
});

describe('the overview: certificates expiring by week', () => {
  it('counts the ACTIVE certificates the latest audit found by the week they expire in', async () => {
    // Prepare: certificates expiring in 3, 4 and 17 days, one of them deactivated after the audit.
    await h.provision('week-0a', { validity: { durationMs: 3 * DAY } });
    const deactivated = await h.provision('week-0b', { validity: { durationMs: 4 * DAY } });
    await h.provision('week-2', { validity: { durationMs: 17 * DAY } });
    await enableExpiringCheck(h, 30);
    const taskId = await runExpiringAudit(h);
    await h.iot.send(
      new UpdateCertificateCommand({ certificateId: deactivated.certificateId, newStatus: 'INACTIVE' }),
    );
    // Act
    const state = await new ExpiryCache(target, () => h.clock.now()).settled();
    // Assess
    expect(state).toMatchObject({
      state: 'ready',
      value: {
        taskId,
        weeks: [
          { week: 0, count: 1 },
          { week: 2, count: 1 },
        ],
        notLookedUp: 0,
      },
    });
  });
});
