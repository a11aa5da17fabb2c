import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBehaviourMix } from '../../device/fleet/behaviour-mix.ts';
import { type FleetSimulator, planFleet } from '../../device/fleet/fleet-simulator.ts';
import type { SimulatedDevice } from '../../device/fleet/simulated-device.ts';
import { topicFor } from '../../workflows/rotate-device/protocol.ts';
import { TestBroker } from './helpers/test-broker.ts';
import { fleetOnTestBroker } from './helpers/test-fleet.ts';

/** Simulated devices that lose power mid-rotation and boot again from what their store kept. */
describe('simulated device crash and restart', () => {
  let broker: TestBroker;
  let fleet: FleetSimulator;
  let devices: SimulatedDevice[];

  beforeAll(async () => {
    broker = await TestBroker.start();
    fleet = fleetOnTestBroker(broker, {
      backoff: { initialMs: 20, maxMs: 100 },
      timeoutMs: 3_000,
    });
    devices = await fleet.provision(
      planFleet({
        size: 4,
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

  for (const [index, moment] of [
    [2, 'certificate-accepted'],
    [3, 'crt_ack published'],
  ] as const) {
    it(`at ${moment}: boots, proves the new certificate and adopts it, even with the old one retired`, async () => {
      // Prepare
      const device = devices[index];
      if (!device) throw new Error('no device');
      let restarting: Promise<void> | undefined;
      const off = fleet.onEvent((thing, event) => {
        if (thing !== device.thingName || restarting) return;
        const hit =
          moment === 'certificate-accepted'
            ? event.type === 'certificate-accepted'
            : event.type === 'published' && event.kind === 'crt_ack';
        if (hit) restarting = device.crashAndRestart();
      });
      const rotationId = randomUUID();
      await broker.send(device.thingName, 'csr_req', { rotationId });
      const csr = await broker.waitForMessage((m) => m.topic === topicFor(device.thingName, 'csr_res'));
      const issued = await broker.pki.signCsr(JSON.parse(csr.payload).CSR);
      broker.allow(issued.certificateId);

      // Act
      await broker.send(device.thingName, 'crt_res', {
        rotationId,
        certificatePem: issued.certificatePem,
        certificateId: issued.certificateId,
      });
      await until(() => restarting !== undefined);
      await restarting;
      off();
      broker.revoke(device.initialCertificateId);
      await until(() => device.state().rotated && device.state().connected);

      // Assess
      expect(device.state().certificateId).toBe(issued.certificateId);
      expect(broker.connectedPrincipals().get(device.thingName)).toBe(issued.certificateId);
      await broker.waitForMessage((m) => m.topic === topicFor(device.thingName, 'crt_ack'));
      const acks = broker.messages.filter((m) => m.topic === topicFor(device.thingName, 'crt_ack'));
      expect(acks.every((m) => m.principal === issued.certificateId)).toBe(true);
      expect(await device.holdsWorkingCredentials()).toBe(true);
    });
  }
});
