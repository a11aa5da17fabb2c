import { describe, expect, it } from 'vitest';
import { MALICIOUS_BEHAVIOURS } from '../../device/fleet/behaviours.ts';
import { certificateStatus, thingCertificateIds } from './helpers.ts';
import { recordWithStatus, runAudit, scenarioPerTest } from './scenario.ts';

describe('malicious devices', () => {
  const startScenario = scenarioPerTest();

  it('are each refused a usable certificate, and the honest devices they impersonate still rotate', async () => {
    // Prepare: one device per malicious behaviour and two honest ones, whose identity and topics
    // the malicious ones abuse. Short waits and two certificate attempts, so every refusal ends.
    const behaviours = ['healthy', 'healthy', ...MALICIOUS_BEHAVIOURS] as const;
    const scenario = await startScenario({
      behaviours,
      prefix: 'mal',
      local: {
        settings: {
          AckTimeoutSeconds: 2,
          AckRetryMaxAttempts: 0,
          CsrTimeoutSeconds: 2,
          CsrRetryIntervalSeconds: 1,
          CsrRetryMaxAttempts: 1,
          MaxCertificateAttempts: 2,
        },
      },
    });
    const { local } = scenario;

    // Act
    await runAudit(local);
    const outcomes = new Map<string, Record<string, unknown>>();
    for (const device of scenario.devices) {
      outcomes.set(
        device.thingName,
        await recordWithStatus(local, device.thingName, ['SUCCEEDED', 'FAILED']),
      );
    }

    // Assess: the honest devices rotated; every malicious one failed, still holds only the
    // certificate it had (ACTIVE), and every certificate issued to it along the way is gone.
    for (const device of scenario.devices) {
      const record = outcomes.get(device.thingName) ?? {};
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
  });
});
