import { describe, expect, it } from 'vitest';
import { eventually, rotationRecord, thingCertificateIds } from './helpers.ts';
import { fleetInvariantViolations } from './invariants.ts';
import {
  connectedWith,
  recordWithStatus,
  restartableScenarioPerTest,
  restartSettings,
  runAudit,
} from './scenario.ts';

// How long a device has to answer one request. A cut-off reply costs one such wait.
const ANSWER_TIMEOUT_SECONDS = 15;

describe('a restart of the local AWS mid-campaign', () => {
  const scenarios = restartableScenarioPerTest();

  it('completes every rotation after the services come back on the same state directory', async () => {
    // Prepare: healthy devices and one that is away for a few seconds, so rotations are in flight
    // when the local AWS stops; devices retry their connection every half second or so.
    const settings = restartSettings(ANSWER_TIMEOUT_SECONDS);
    const scenario = await scenarios.start({
      local: { settings },
      behaviours: ['healthy', 'healthy', 'healthy', 'offline', 'healthy', 'crt_err'],
      prefix: 'restart',
      behaviourSettings: { offlineMs: 6_000 },
      backoff: { initialMs: 250, maxMs: 1_000 },
    });
    const first = scenario.local;
    await runAudit(first);
    for (const device of scenario.devices) {
      await eventually(`${device.thingName} rotation started`, () => rotationRecord(first, device.thingName));
    }
    const inFlight = [];
    for (const device of scenario.devices) {
      const record = await rotationRecord(first, device.thingName);
      if (record?.status === 'IN_PROGRESS') inFlight.push(device.thingName);
    }

    // Act: stop every service mid-campaign, then start them again on the same state and ports.
    const local = await scenarios.restart({ settings });
    const records = [];
    for (const device of scenario.devices) {
      records.push(await recordWithStatus(local, device.thingName, ['SUCCEEDED', 'FAILED'], 200_000));
    }

    // Assess: some rotations were cut off by the stop (the away device's at least), and every one
    // of them ended SUCCEEDED with the device on its new certificate.
    expect(inFlight.length).toBeGreaterThan(0);
    for (const [index, device] of scenario.devices.entries()) {
      const record = records[index] ?? {};
      expect(record.status, device.thingName).toBe('SUCCEEDED');
      const newId = String(record.newCertificateId);
      expect(await thingCertificateIds(local, device.thingName)).toEqual([newId]);
      await connectedWith(device, newId);
    }
    expect(await fleetInvariantViolations(local, scenario.fleet)).toEqual([]);
  }, 300_000);
});
