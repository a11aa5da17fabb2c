import { describe, expect, it } from 'vitest';
import { MALICIOUS_BEHAVIOURS } from '../../device/fleet/behaviours.ts';
import { ManualClock } from '../../lib/clock.ts';
import { certificateStatus, eventually, rotationRecord, thingCertificateIds } from './helpers.ts';
import { recordWithStatus, runAudit, scenarioPerTest, shortWaits } from './scenario.ts';

const TIMEOUT_SECONDS = 60;

describe('malicious devices', () => {
  const startScenario = scenarioPerTest();

  it('are each refused a usable certificate, and the honest devices they impersonate still rotate', async () => {
    // Prepare: one device per malicious behaviour and two honest ones, whose identity and topics
    // the malicious ones abuse. The services run on a clock the test moves, so a timeout fires only
    // once the honest devices are done, however slow the machine is.
    const clock = new ManualClock(Date.now());
    const behaviours = ['healthy', 'healthy', ...MALICIOUS_BEHAVIOURS] as const;
    const scenario = await startScenario({
      behaviours,
      prefix: 'mal',
      local: {
        clock,
        settings: { ...shortWaits(TIMEOUT_SECONDS), MaxCertificateAttempts: 2 },
      },
    });
    const { local, devices } = scenario;
    const honest = devices.filter((d) => d.behaviourName === 'healthy');
    const malicious = devices.filter((d) => d.behaviourName !== 'healthy');

    // Act: the campaign paces its starts on the clock; move it in small steps (well inside one
    // timeout) until every rotation has started, let the honest ones finish, then move it a
    // timeout at a time until every malicious rotation has ended.
    await runAudit(local);
    let moved = 0;
    await eventually(
      'every rotation started',
      async () => {
        const records = await Promise.all(devices.map((d) => rotationRecord(local, d.thingName)));
        if (records.every((r) => r !== undefined)) return true;
        if (moved < TIMEOUT_SECONDS * 500) {
          await clock.advance(250);
          moved += 250;
        }
        return undefined;
      },
      120_000,
    );
    for (const device of honest) {
      await recordWithStatus(local, device.thingName, ['SUCCEEDED', 'FAILED'], 120_000);
    }
    await eventually(
      'every malicious rotation ended',
      async () => {
        const records = await Promise.all(malicious.map((d) => rotationRecord(local, d.thingName)));
        if (records.every((r) => r?.status === 'SUCCEEDED' || r?.status === 'FAILED')) return true;
        await clock.advance(TIMEOUT_SECONDS * 1000);
        return undefined;
      },
      120_000,
    );

    // Assess: the honest devices rotated; every malicious one failed, still holds only the
    // certificate it had (ACTIVE), and every certificate issued to it along the way is gone.
    for (const device of devices) {
      const record = (await rotationRecord(local, device.thingName)) ?? {};
      if (device.behaviourName === 'healthy') {
        expect(record.status, device.thingName).toBe('SUCCEEDED');
        continue;
      }
      expect(record.status, `${device.thingName} (${device.behaviourName})`).toBe('FAILED');
      expect(await thingCertificateIds(local, device.thingName)).toEqual([device.initialCertificateId]);
      expect(await certificateStatus(local, device.initialCertificateId)).toBe('ACTIVE');
      expect(device.state().certificateId).toBe(device.initialCertificateId);
      const revoked = Array.isArray(record.revokedCertificateIds)
        ? record.revokedCertificateIds.map(String)
        : [];
      for (const id of revoked) expect(await certificateStatus(local, id)).toBe('DELETED');
    }
  }, 300_000);
});
