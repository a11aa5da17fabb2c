import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBehaviourMix } from '../../device/fleet/behaviour-mix.ts';
import { FleetSimulator, planFleet } from '../../device/fleet/fleet-simulator.ts';
import type { SimulatedDevice } from '../../device/fleet/simulated-device.ts';
import { topicFor } from '../../workflows/rotate-device/protocol.ts';
import { TestBroker } from './helpers/test-broker.ts';
import { TestProvisioner } from './helpers/test-provisioner.ts';

/** Simulated devices that lose power mid-rotation and boot again from what their store kept. */
describe('simulated device crash and restart', () => {
  let broker: TestBroker;
  let fleet: FleetSimulator;
  let devices: SimulatedDevice[];

  beforeAll(async () => {
    broker = await TestBroker.start();
    fleet = new FleetSimulator({
      endpoint: { host: '127.0.0.1', port: broker.port },
      serverCaPem: broker.pki.caCertificatePem,
      provisioner: new TestProvisioner(broker),
      backoff: { initialMs: 20, maxMs: 100 },
      timeoutMs: 3_000,
    });
    devices = await fleet.provision(
      planFleet({
        size: 2,
        mix: parseBehaviourMix('healthy=1'),
        prefix: `crash-${randomUUID().slice(0, 6)}`,
        validity: () => ({
          notBefore: new Date(Date.now() - 1000),
          notAfter: new Date(Date.now() + 86_400_000),
        }),
      }),
    );
    await fleet.start();
  });
  afterAll(async () => {
    await fleet.stop();
    await broker.stop();
  });

  async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('after sending its CSR: boots with the same pending key and answers the repeated request with the same CSR', async () => {
    // Prepare
    const [device] = devices;
    if (!device) throw new Error('no device');
    const rotationId = randomUUID();
    await broker.send(device.thingName, 'csr_req', { rotationId });
    const before = await broker.waitForMessage((m) => m.topic === topicFor(device.thingName, 'csr_res'));

    // Act
    await device.crashAndRestart();
    await until(() => device.state().connected);
    const mark = broker.messages.length;
    await broker.send(device.thingName, 'csr_req', { rotationId });
    const after = await broker.waitForMessage(
      (m) => m.topic === topicFor(device.thingName, 'csr_res'),
      10_000,
      mark,
    );

    // Assess
    expect(after.payload).toBe(before.payload);
    expect(device.state().pendingRotationId).toBe(rotationId);
    expect(await device.holdsWorkingCredentials()).toBe(true);
  });

  it('after proving the new certificate, with the old one then retired: boots and connects with the new one', async () => {
    // Prepare
    const [, device] = devices;
    if (!device) throw new Error('no device');
    const result = await broker.rotate(device.thingName, device.initialCertificateId);

    // Act
    broker.revoke(device.initialCertificateId);
    await device.crashAndRestart();
    await until(() => device.state().connected);

    // Assess
    expect(device.state().certificateId).toBe(result.certificateId);
    expect(broker.connectedPrincipals().get(device.thingName)).toBe(result.certificateId);
    expect(await fleet.devicesWithoutWorkingCredentials()).toEqual([]);
  });
});
