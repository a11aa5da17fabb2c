import { describe, expect, it } from 'vitest';
import { certificateStatus, eventually, thingCertificateIds } from './helpers.ts';
import { onlyDevice, recordWithStatus, runAudit, scenarioPerTest } from './scenario.ts';

describe('a device that rejects its new certificate (crt_err)', () => {
  const startScenario = scenarioPerTest();

  it('gets the refused certificate revoked, sends a fresh CSR and ends rotated', async () => {
    // Prepare: one device that refuses the first certificate it is given.
    const scenario = await startScenario({ behaviours: ['crt_err'], prefix: 'crterr' });
    const { local } = scenario;
    const device = onlyDevice(scenario);

    // Act
    await runAudit(local);
    const record = await recordWithStatus(local, device.thingName, ['SUCCEEDED', 'FAILED']);

    // Assess: the first certificate was revoked (gone from the registry), the second one is the
    // thing's only certificate and the device connected with it; the old one is retired.
    expect(record.status).toBe('SUCCEEDED');
    const revoked = Array.isArray(record.revokedCertificateIds)
      ? record.revokedCertificateIds.map(String)
      : [];
    expect(revoked).toHaveLength(1);
    const [refusedId] = revoked;
    expect(await certificateStatus(local, refusedId ?? '')).toBe('DELETED');
    const newId = String(record.newCertificateId);
    expect(newId).not.toBe(refusedId);
    expect(await thingCertificateIds(local, device.thingName)).toEqual([newId]);
    expect(await certificateStatus(local, device.initialCertificateId)).toBe('DELETED');
    const state = await eventually('device on its new certificate', async () => {
      const s = device.state();
      return s.connected && s.certificateId === newId ? s : undefined;
    });
    expect(state.certificatesRejected).toBe(1);
    expect(state.rotations).toBe(1);
  });
});
