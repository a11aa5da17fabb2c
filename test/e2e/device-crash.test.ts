import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../device/agent/events.ts';
import { eventually, thingCertificateIds } from './helpers.ts';
import { recordWithStatus, runAudit, scenarioPerTest } from './scenario.ts';

/** The moments of a rotation at which a device loses power, as its agent reports reaching them. */
const CRASH_POINTS: readonly { readonly name: string; readonly at: (event: AgentEvent) => boolean }[] = [
  { name: 'new key saved, CSR sent', at: (e) => e.type === 'csr-sent' },
  { name: 'certificate saved, not yet proven', at: (e) => e.type === 'certificate-accepted' },
  {
    name: 'crt_ack sent over the new certificate',
    at: (e) => e.type === 'published' && e.kind === 'crt_ack',
  },
  { name: 'credentials swapped', at: (e) => e.type === 'rotated' },
];

describe('kill -9 of a device during its rotation', () => {
  const startScenario = scenarioPerTest();

  it('at each step, the device comes back with working credentials and the rotation completes', async () => {
    // Prepare: one device per crash point, credentials in files as on a real device; short waits so
    // a message lost in the crash is sent again quickly.
    const scenario = await startScenario({
      behaviours: CRASH_POINTS.map(() => 'healthy' as const),
      prefix: 'crash',
      credentialFiles: true,
      local: {
        settings: {
          CsrTimeoutSeconds: 3,
          CsrRetryIntervalSeconds: 1,
          AckTimeoutSeconds: 3,
          AckRetryIntervalSeconds: 1,
          AckRetryMaxAttempts: 5,
        },
      },
    });
    const { local, fleet } = scenario;
    const restarts: Promise<void>[] = [];
    const crashed = new Set<string>();
    scenario.devices.forEach((device, index) => {
      const point = CRASH_POINTS[index];
      if (!point) return;
      fleet.onEvent((thingName, event) => {
        if (thingName !== device.thingName || crashed.has(thingName) || !point.at(event)) return;
        crashed.add(thingName);
        restarts.push(device.crashAndRestart());
      });
    });

    // Act
    await runAudit(local);
    const records = [];
    for (const device of scenario.devices) {
      records.push(await recordWithStatus(local, device.thingName, ['SUCCEEDED', 'FAILED']));
    }
    // The device may report its swap after the cloud recorded success: wait for every crash.
    await eventually('every device crashed', async () =>
      crashed.size === CRASH_POINTS.length ? true : undefined,
    );
    await Promise.all(restarts);

    // Assess: every device crashed at its point, its rotation succeeded, and it runs on the new
    // certificate, the only one its thing holds.
    expect([...crashed].sort()).toEqual(scenario.devices.map((d) => d.thingName).sort());
    for (const [index, device] of scenario.devices.entries()) {
      const record = records[index] ?? {};
      expect(record.status, `${device.thingName}: ${CRASH_POINTS[index]?.name}`).toBe('SUCCEEDED');
      const newId = String(record.newCertificateId);
      expect(await thingCertificateIds(local, device.thingName)).toEqual([newId]);
      await eventually(`${device.thingName} on its new certificate`, async () => {
        const s = device.state();
        return s.connected && s.certificateId === newId ? s : undefined;
      });
      expect(await device.holdsWorkingCredentials()).toBe(true);
    }
  });
});
