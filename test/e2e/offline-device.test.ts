import { describe, expect, it } from 'vitest';
import { certificateStatus, eventually, thingCertificateIds } from './helpers.ts';
import { JumpClock } from './jump-clock.ts';
import { recordWithStatus, runAudit, scenarioPerTest } from './scenario.ts';

const DAY_MS = 86_400_000;
const DAY_S = 86_400;

describe('a device offline for three days', () => {
  const startScenario = scenarioPerTest();

  it('rotates as soon as it reconnects: the pending CSR request is sent again on its connection', async () => {
    // Prepare: the CSR wait is five days, so within the test only the reconnect can bring the
    // request to the device again (its first one went out while it was away, on a clean session).
    const clock = new JumpClock();
    const scenario = await startScenario({
      behaviours: ['offline', 'healthy'],
      prefix: 'away',
      local: { clock, settings: { CsrTimeoutSeconds: 5 * DAY_S } },
      behaviourSettings: { offlineMs: 3 * DAY_MS },
    });
    const { local } = scenario;
    const [away, present] = scenario.devices;
    if (!away || !present) throw new Error('no devices');
    const start = clock.now();

    // Act: the audit starts both rotations while one device is away; three days pass.
    await runAudit(local);
    const presentRecord = await recordWithStatus(local, present.thingName, ['SUCCEEDED', 'FAILED']);
    await recordWithStatus(local, away.thingName, ['IN_PROGRESS']);
    await eventually('the CSR request to the away device', async () => {
      const record = await recordWithStatus(local, away.thingName, ['IN_PROGRESS']);
      return record.phase === 'AWAITING_CSR' ? record : undefined;
    });
    expect(away.state().connected).toBe(false);
    clock.jump(3 * DAY_MS + 60_000);
    const awayRecord = await recordWithStatus(local, away.thingName, ['SUCCEEDED', 'FAILED']);

    // Assess: the present device rotated at once; the away device after the three days, well
    // before its CSR wait would have asked again, and it uses its new certificate.
    expect(presentRecord.status).toBe('SUCCEEDED');
    expect(awayRecord.status).toBe('SUCCEEDED');
    const completedAt = Date.parse(String(awayRecord.completedAt));
    expect(completedAt - start).toBeGreaterThanOrEqual(3 * DAY_MS);
    expect(completedAt - start).toBeLessThan(4 * DAY_MS);
    const newId = String(awayRecord.newCertificateId);
    expect(await thingCertificateIds(local, away.thingName)).toEqual([newId]);
    expect(await certificateStatus(local, away.initialCertificateId)).toBe('DELETED');
    await eventually('the away device on its new certificate', async () => {
      const s = away.state();
      return s.connected && s.certificateId === newId ? s : undefined;
    });
  });
});
