import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalAws } from '../../local/stack/local-aws.ts';
import { eventually, rotationRecord, thingCertificateIds } from './helpers.ts';
import { fleetInvariantViolations } from './invariants.ts';
import { recordWithStatus, runAudit, type Scenario, startScenario } from './scenario.ts';

// How long a device has to answer one request. A cut-off reply costs one such wait.
const ANSWER_TIMEOUT_SECONDS = 15;

describe('a restart of the local AWS mid-campaign', () => {
  let scenario: Scenario | undefined;
  let restarted: LocalAws | undefined;

  afterEach(async () => {
    await scenario?.fleet.stop();
    await restarted?.close();
    if (scenario) await rm(scenario.env.dir, { recursive: true, force: true });
    scenario = undefined;
    restarted = undefined;
  });

  it('completes every rotation after the services come back on the same state directory', async () => {
    // Prepare: healthy devices and one that is away for a few seconds, so rotations are in flight
    // when the local AWS stops; devices retry their connection every half second or so. A reply the
    // stop cuts off between the record and Step Functions is recovered by the workflow's own timeout
    // and retry: short next to the defaults, long next to a device's answer on a busy machine.
    const settings = {
      CsrTimeoutSeconds: ANSWER_TIMEOUT_SECONDS,
      CsrRetryIntervalSeconds: 1,
      AckTimeoutSeconds: ANSWER_TIMEOUT_SECONDS,
      AckRetryIntervalSeconds: 1,
      AckRetryMaxAttempts: 5,
    };
    scenario = await startScenario({
      local: { settings },
      behaviours: ['healthy', 'healthy', 'healthy', 'offline', 'healthy', 'crt_err'],
      prefix: 'restart',
      behaviourSettings: { offlineMs: 6_000 },
      backoff: { initialMs: 250, maxMs: 1_000 },
    });
    const first = scenario.local;
    // The devices know one MQTT endpoint, so the broker comes back on its port. The HTTP services
    // take new ports: a function invocation the stop cut off keeps running in this process (a real
    // stop would have ended it with the process), and must not reach the new services.
    const ports = { mqtt: first.endpoints.mqtt.port, stepFunctions: 0, iot: 0, dynamodb: 0, events: 0 };
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
    await first.close();
    restarted = await LocalAws.start({ stateDir: scenario.env.dir, ports, settings });
    const local = restarted;
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
      await eventually(`${device.thingName} on its new certificate`, async () => {
        const s = device.state();
        return s.connected && s.certificateId === newId ? s : undefined;
      });
    }
    expect(await fleetInvariantViolations(local, scenario.fleet)).toEqual([]);
  }, 300_000);
});
