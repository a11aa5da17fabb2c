import { createPublicKey, randomUUID, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../device/agent/events.ts';
import { parseBehaviourMix } from '../../device/fleet/behaviour-mix.ts';
import { BEHAVIOUR_NAMES, type BehaviourName, createBehaviour } from '../../device/fleet/behaviours.ts';
import { type FleetSimulator, planFleet } from '../../device/fleet/fleet-simulator.ts';
import type { SimulatedDevice } from '../../device/fleet/simulated-device.ts';
import { topicFor } from '../../workflows/rotate-device/protocol.ts';
import { type SeenMessage, TestBroker } from './helpers/test-broker.ts';
import { fleetOnTestBroker } from './helpers/test-fleet.ts';
import { describeCsr } from './helpers/test-pki.ts';
import { TestProvisioner } from './helpers/test-provisioner.ts';

const DAY = 86_400_000;
const OFFLINE_MS = 1_500;

describe('fleet simulator behaviours against a mutual-TLS broker', () => {
  let broker: TestBroker;
  let fleet: FleetSimulator;
  let provisioner: TestProvisioner;
  const events: { thing: string; event: AgentEvent }[] = [];
  const byBehaviour = new Map<BehaviourName, SimulatedDevice>();
  let fleetStarted = 0;

  beforeAll(async () => {
    broker = await TestBroker.start();
    provisioner = new TestProvisioner(broker);
    fleet = fleetOnTestBroker(broker, {
      provisioner,
      backoff: { initialMs: 20, maxMs: 100 },
      timeoutMs: 3_000,
      behaviourSettings: { offlineMs: OFFLINE_MS, maxLinkDrops: 2, minLinkUpMs: 150, maxLinkUpMs: 300 },
    });
    fleet.onEvent((thing, event) => events.push({ thing, event }));
    // One device of every behaviour there is.
    const names = BEHAVIOUR_NAMES;
    const specs = planFleet({
      size: names.length,
      mix: parseBehaviourMix(names.map((n) => `${n}=1`).join(',')),
      prefix: `fleet-${randomUUID().slice(0, 6)}`,
      validity: (index) => ({
        notBefore: new Date(Date.now() - DAY),
        notAfter: new Date(Date.now() + (index + 1) * DAY),
      }),
    });
    await fleet.provision(specs);
    for (const device of fleet.devices()) byBehaviour.set(device.behaviourName, device);
    fleetStarted = Date.now();
    await fleet.start();
  });
  afterAll(async () => {
    await fleet.stop();
    await broker.stop();
  });

  function device(name: BehaviourName): SimulatedDevice {
    const found = byBehaviour.get(name);
    if (!found) throw new Error(`no ${name} device in the fleet`);
    return found;
  }

  function eventsOf(thing: string, type: AgentEvent['type']): AgentEvent[] {
    return events.filter((e) => e.thing === thing && e.event.type === type).map((e) => e.event);
  }

  async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** csr_req to the device; the reply it published anywhere as that client, from this point on. */
  async function requestCsr(thing: string, rotationId = randomUUID()): Promise<SeenMessage> {
    const mark = broker.messages.length;
    await broker.send(thing, 'csr_req', { rotationId });
    return broker.waitForMessage((m) => m.clientId === thing && m.kind === 'csr_res', 10_000, mark);
  }

  it('provisions every device with the validity the plan chose, each with its own certificate', () => {
    expect(provisioner.provisioned).toHaveLength(12);
    const ids = new Set(fleet.states().map((s) => s.initialCertificateId));
    expect(ids.size).toBe(12);
    for (const request of provisioner.provisioned)
      expect(request.notAfter.getTime()).toBeGreaterThan(Date.now());
  });

  it('healthy: rotates and then holds a working pair with the new certificate', async () => {
    // Prepare
    const d = device('healthy');

    // Act
    const result = await broker.rotate(d.thingName, d.initialCertificateId);
    await until(() => d.state().rotated);

    // Assess
    expect(d.state()).toMatchObject({ certificateId: result.certificateId, rotations: 1 });
    expect(await d.holdsWorkingCredentials()).toBe(true);
  });

  it('offline: stays away for its offline period, then connects and rotates', async () => {
    // Prepare
    const d = device('offline');

    // Act
    await until(() => d.state().connected, OFFLINE_MS + 5_000);
    const result = await broker.rotate(d.thingName, d.initialCertificateId);

    // Assess
    expect(eventsOf(d.thingName, 'offline').length).toBeGreaterThan(0);
    const firstConnect = broker.connects.find((c) => c.clientId === d.thingName);
    expect(firstConnect?.at ?? 0).toBeGreaterThanOrEqual(fleetStarted + OFFLINE_MS - 50);
    expect(d.state().certificateId).toBe(result.certificateId);
  });

  it('flaky: drops its link a bounded number of times, reconnects each time, and still rotates', async () => {
    // Prepare
    const d = device('flaky');

    // Act
    await until(() => eventsOf(d.thingName, 'link-dropped').length === 2 && d.state().connected);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const result = await broker.rotate(d.thingName, d.initialCertificateId);

    // Assess
    expect(eventsOf(d.thingName, 'link-dropped')).toHaveLength(2);
    expect(broker.connects.filter((c) => c.clientId === d.thingName).length).toBeGreaterThanOrEqual(3);
    expect(d.state().certificateId).toBe(result.certificateId);
  });

  it('crt_err: refuses the first certificate over its old connection, accepts the next one', async () => {
    // Prepare
    const d = device('crt_err');
    const first = randomUUID();

    // Act
    const csr = await requestCsr(d.thingName, first);
    const issued = await broker.pki.signCsr(JSON.parse(csr.payload).CSR);
    broker.allow(issued.certificateId);
    await broker.send(d.thingName, 'crt_res', { rotationId: first, ...pick(issued) });
    const error = await broker.waitForMessage((m) => m.clientId === d.thingName && m.kind === 'crt_err');
    const second = await broker.rotate(d.thingName, d.initialCertificateId);

    // Assess
    expect(error.principal).toBe(d.initialCertificateId);
    expect(JSON.parse(error.payload).rotationId).toBe(first);
    expect(d.state()).toMatchObject({ certificateId: second.certificateId, certificatesRejected: 1 });
  });

  it('silent: sends its CSR and then says nothing, until it comes back as healthy', async () => {
    // Prepare
    const d = device('silent');
    const rotationId = randomUUID();
    const csr = await requestCsr(d.thingName, rotationId);
    const issued = await broker.pki.signCsr(JSON.parse(csr.payload).CSR);
    broker.allow(issued.certificateId);
    const mark = broker.messages.length;

    // Act
    await broker.send(d.thingName, 'crt_res', { rotationId, ...pick(issued) });
    await broker.send(d.thingName, 'csr_req', { rotationId: randomUUID() });
    await new Promise((resolve) => setTimeout(resolve, 800));
    const quiet = broker.messages.slice(mark).filter((m) => m.clientId === d.thingName);
    d.setBehaviour(createBehaviour('healthy'));
    const result = await broker.rotate(d.thingName, d.initialCertificateId);

    // Assess
    expect(quiet).toEqual([]);
    expect(d.state().certificateId).toBe(result.certificateId);
  });

  it('csr_other_thing: its CSR names another thing', async () => {
    const d = device('csr_other_thing');
    const reply = await requestCsr(d.thingName);
    const csr = await describeCsr(JSON.parse(reply.payload).CSR);
    expect(reply.topic).toBe(topicFor(d.thingName, 'csr_res'));
    expect(csr.subject).not.toBe(`CN=${d.thingName}`);
    expect(fleet.device(csr.subject.replace('CN=', ''))).toBeDefined();
  });

  it('weak_key: its CSR carries an RSA 1024 key', async () => {
    const d = device('weak_key');
    const reply = await requestCsr(d.thingName);
    const csr = await describeCsr(JSON.parse(reply.payload).CSR);
    expect(csr).toMatchObject({
      algorithm: 'rsa',
      modulusBits: 1024,
      subject: `CN=${d.thingName}`,
      verifies: true,
    });
  });

  it('old_key: its CSR carries the key of the certificate it already has', async () => {
    const d = device('old_key');
    const reply = await requestCsr(d.thingName);
    const csr = await describeCsr(JSON.parse(reply.payload).CSR);
    const current = (await d.credentials()).certificatePem;
    const currentKey = new X509Certificate(current).publicKey.export({ type: 'spki', format: 'der' });
    expect(csr.publicKeyDer.equals(currentKey)).toBe(true);
    expect(createPublicKey({ key: csr.publicKeyDer, format: 'der', type: 'spki' }).asymmetricKeyType).toBe(
      'ec',
    );
  });

  it('ack_over_old: acknowledges over its old certificate without ever connecting with the new one', async () => {
    // Prepare
    const d = device('ack_over_old');
    const rotationId = randomUUID();
    const csr = await requestCsr(d.thingName, rotationId);
    const issued = await broker.pki.signCsr(JSON.parse(csr.payload).CSR);
    broker.allow(issued.certificateId);

    // Act
    await broker.send(d.thingName, 'crt_res', { rotationId, ...pick(issued) });
    const ack = await broker.waitForMessage((m) => m.clientId === d.thingName && m.kind === 'crt_ack');

    // Assess
    expect(ack.principal).toBe(d.initialCertificateId);
    expect(JSON.parse(ack.payload)).toEqual({ rotationId });
    expect(broker.connects.some((c) => c.principal === issued.certificateId)).toBe(false);
    expect(d.state().certificateId).toBe(d.initialCertificateId);
  });

  it('replayed_rotation_id: forces a new attempt, then answers it with the id of the first', async () => {
    // Prepare
    const d = device('replayed_rotation_id');
    const first = randomUUID();
    const second = randomUUID();
    const honest = await requestCsr(d.thingName, first);
    const issued = await broker.pki.signCsr(JSON.parse(honest.payload).CSR);
    broker.allow(issued.certificateId);

    // Act
    await broker.send(d.thingName, 'crt_res', { rotationId: first, ...pick(issued) });
    const refusal = await broker.waitForMessage((m) => m.clientId === d.thingName && m.kind === 'crt_err');
    const replayed = await requestCsr(d.thingName, second);

    // Assess
    expect(JSON.parse(honest.payload).rotationId).toBe(first);
    expect(JSON.parse(refusal.payload).rotationId).toBe(first);
    expect(JSON.parse(replayed.payload).rotationId).toBe(first);
    expect(d.state().certificateId).toBe(d.initialCertificateId);
  });

  it('forged_rotation_id: answers with a rotation id the cloud never sent', async () => {
    const d = device('forged_rotation_id');
    const sent = randomUUID();
    const reply = await requestCsr(d.thingName, sent);
    const replied = JSON.parse(reply.payload).rotationId;
    expect(replied).not.toBe(sent);
    expect(replied).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("foreign_topic: publishes its CSR on another device's topic, under its own identity", async () => {
    const d = device('foreign_topic');
    const reply = await requestCsr(d.thingName);
    const victim = reply.thingName ?? '';
    expect(victim).not.toBe(d.thingName);
    expect(fleet.device(victim)).toBeDefined();
    expect(reply.principal).toBe(d.initialCertificateId);
  });

  it('reports the fleet: every device connected and holding a working pair; rotations counted', async () => {
    // Act
    await until(() => fleet.snapshot().connected === 12);
    const snapshot = fleet.snapshot();

    // Assess
    expect(snapshot.total).toBe(12);
    expect(snapshot.rotated).toBe(5);
    expect(snapshot.byBehaviour.healthy).toEqual({ total: 1, connected: 1, rotated: 1 });
    expect(await fleet.devicesWithoutWorkingCredentials()).toEqual([]);
  });
});

function pick(issued: { certificatePem: string; certificateId: string }) {
  return { certificatePem: issued.certificatePem, certificateId: issued.certificateId };
}
