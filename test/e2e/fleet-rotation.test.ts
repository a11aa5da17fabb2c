import { describe, expect, it } from 'vitest';
import {
  certificatePolicies,
  certificateStatus,
  executionEnded,
  rotationRecord,
  thingCertificateIds,
} from './helpers.ts';
import { connectedWith, recordWithStatus, runAudit, scenarioPerTest } from './scenario.ts';

describe('a fleet rotation on the local AWS', () => {
  const startScenario = scenarioPerTest();

  it('rotates exactly the devices the audit finds, through the real workflow, and retires the old certificates', async () => {
    // Prepare: three devices whose certificates expire in 10 days, one valid for a year.
    const { local, fleet, devices } = await startScenario({
      behaviours: ['healthy', 'healthy', 'healthy', 'healthy'],
      prefix: 'e2e',
      expiresInDays: (index) => (index < 3 ? 10 : 365),
    });
    const expiring = devices.slice(0, 3);
    const [lasting] = devices.slice(3);
    if (!lasting) throw new Error('no device');

    // Act: the audit finds the expiring certificates; its notification starts the rotations.
    await runAudit(local);
    for (const device of expiring) await recordWithStatus(local, device.thingName, ['SUCCEEDED']);

    // Assess: each rotated device holds one ACTIVE certificate, new, with the old one's policies and
    // thing, and it is connected with it; the old certificate is gone.
    for (const device of expiring) {
      const oldId = device.initialCertificateId;
      const [newId = '', ...others] = await thingCertificateIds(local, device.thingName);
      expect(others).toEqual([]);
      expect(newId).not.toBe('');
      expect(newId).not.toBe(oldId);
      expect(await certificateStatus(local, newId)).toBe('ACTIVE');
      expect(await certificatePolicies(local, newId)).toEqual([local.resources.devicePolicyName]);
      expect(await certificateStatus(local, oldId)).toBe('DELETED');
      expect((await connectedWith(device, newId)).rotations).toBe(1);
    }
    // The device outside the threshold was not touched.
    expect(await rotationRecord(local, lasting.thingName)).toBeUndefined();
    expect(await thingCertificateIds(local, lasting.thingName)).toEqual([lasting.initialCertificateId]);
    expect(await fleet.devicesWithoutWorkingCredentials()).toEqual([]);

    // The happy path's billed state transitions, as the engine counts them.
    const record = await rotationRecord(local, 'e2e-0');
    const executionArn = String(record?.executionArn);
    expect((await executionEnded(local, executionArn)).status).toBe('SUCCEEDED');
    expect(local.stepFunctions.billedTransitions(executionArn)).toBeLessThanOrEqual(12);
  });
});
