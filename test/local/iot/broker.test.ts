import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  GetRegistrationCodeCommand,
  RegisterCACertificateCommand,
  RegisterCertificateCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { PublishCommand } from '@aws-sdk/client-iot-data-plane';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusMessage } from '../../../local/iot/interfaces.ts';
import type { ProvisionedDevice } from '../../../local/iot/provision.ts';
import { CLOCK_START, startCore, type TestCore } from './helpers/core.ts';
import { closed, connectDevice, end, nextMessage, subscribe } from './helpers/mqtt.ts';
import { makeCa, selfSigned, signByCa } from './helpers/pki.ts';
import { MANAGEMENT_SUBTREE_POLICY_DOCUMENT } from './helpers/policies.ts';

const DAY = 24 * 60 * 60 * 1000;

const SUBTREE_POLICY = 'management-subtree';

describe('MQTT broker over mutual TLS', () => {
  let t: TestCore;
  let clients: MqttClient[];
  let bus: BusMessage[];
  let alpha: ProvisionedDevice;
  let beta: ProvisionedDevice;

  beforeEach(async () => {
    t = await startCore();
    clients = [];
    bus = [];
    t.core.bus.subscribe((m) => bus.push(m));
    // The broker's features (retained messages, wills, `#` filters) need more than recert's strict
    // device policy allows: each device here may use its whole management subtree, and nothing else.
    t.core.registry.policies.create(SUBTREE_POLICY, MANAGEMENT_SUBTREE_POLICY_DOCUMENT);
    alpha = await t.core.provisionDevice({
      thingName: 'alpha',
      validity: { durationMs: 10 * DAY },
      policyName: SUBTREE_POLICY,
    });
    beta = await t.core.provisionDevice({ thingName: 'beta', policyName: SUBTREE_POLICY });
  });
  afterEach(async () => {
    await end(...clients);
    await t.close();
  });

  const connect = async (device: ProvisionedDevice, clientId = device.thingName, clean = true) => {
    const client = await connectDevice(t.core, device, { clientId, clean });
    clients.push(client);
    return client;
  };

  it('lets a device exchange messages on its own topics and tells the bus who sent them', async () => {
    // Prepare
    const a = await connect(alpha);
    await subscribe(a, 'management/topic/alpha/+');
    const received = nextMessage(a, 'management/topic/alpha/csr_req');

    // Act
    await t.data.send(
      new PublishCommand({
        topic: 'management/topic/alpha/csr_req',
        qos: 1,
        payload: Buffer.from('{"rotationId":"r1"}'),
      }),
    );
    await a.publishAsync('management/topic/alpha/csr_res', '{"rotationId":"r1","CSR":"x"}', { qos: 1 });

    // Assess
    expect((await received).payload.toString()).toBe('{"rotationId":"r1"}');
    const fromDevice = await waitFor(() => bus.find((m) => m.topic === 'management/topic/alpha/csr_res'));
    expect(fromDevice).toMatchObject({ clientId: 'alpha', principal: alpha.certificateId, qos: 1 });
    const fromService = bus.find((m) => m.topic === 'management/topic/alpha/csr_req');
    expect(fromService?.clientId).toBeUndefined();
  });

  it('cuts off a device that publishes to another device topic', async () => {
    // Prepare
    const a = await connect(alpha);
    const b = await connect(beta);
    await subscribe(b, 'management/topic/beta/#');
    const betaGot: string[] = [];
    b.on('message', (topic) => betaGot.push(topic));
    const aClosed = closed(a);

    // Act
    a.publish('management/topic/beta/crt_ack', '{}', { qos: 0 });
    await aClosed;

    // Assess
    expect(betaGot).toEqual([]);
    expect(bus.some((m) => m.topic === 'management/topic/beta/crt_ack')).toBe(false);
    expect(b.connected).toBe(true);
    const event = await waitFor(() => bus.find((m) => m.topic === '$aws/events/presence/disconnected/alpha'));
    expect(JSON.parse(event.payload.toString())).toMatchObject({ disconnectReason: 'AUTHORIZATION_FAILURE' });
  });

  it('cuts off a device that subscribes outside its policy', async () => {
    // Prepare
    const a = await connect(alpha);
    const aClosed = closed(a);

    // Act
    a.subscribe('management/topic/beta/#');

    // Assess
    await aClosed;
    expect(a.connected).toBe(false);
  });

  it('refuses a client id that is not the thing the certificate is attached to', async () => {
    // Act / Assess
    await expect(connectDevice(t.core, alpha, { clientId: 'beta' })).rejects.toThrow();
    await expect(connectDevice(t.core, alpha, { clientId: 'someone-else' })).rejects.toThrow();
  });

  it('refuses an INACTIVE certificate and closes the live session of one deactivated', async () => {
    // Prepare
    const a = await connect(alpha);
    const aClosed = closed(a);

    // Act
    await t.iot.send(
      new UpdateCertificateCommand({ certificateId: alpha.certificateId, newStatus: 'INACTIVE' }),
    );

    // Assess
    await aClosed;
    await expect(connectDevice(t.core, alpha, { clientId: 'alpha' })).rejects.toThrow(/Not authorized/);
    const event = await waitFor(() => bus.find((m) => m.topic === '$aws/events/presence/disconnected/alpha'));
    expect(JSON.parse(event.payload.toString())).toMatchObject({
      clientId: 'alpha',
      eventType: 'disconnected',
      clientInitiatedDisconnect: false,
      disconnectReason: 'SERVER_INITIATED_DISCONNECT',
      principalIdentifier: alpha.certificateId,
    });
  });

  it('refuses an expired certificate, judged on the shared clock', async () => {
    // Prepare: alpha's certificate ends 10 days after the clock start.
    const before = await connect(alpha);
    await end(before);

    // Act
    await t.clock.advance(11 * DAY);

    // Assess
    await expect(connectDevice(t.core, alpha, { clientId: 'alpha' })).rejects.toThrow(/Not authorized/);
    await expect(connect(beta)).resolves.toBeDefined();
  });

  it('refuses unknown and foreign-CA certificates, and a CA-signed one only until registered', async () => {
    // Prepare
    const stranger = await selfSigned('alpha', CLOCK_START - DAY, CLOCK_START + DAY);
    const foreignCa = await makeCa('Foreign CA', CLOCK_START - DAY, CLOCK_START + 365 * DAY);
    const foreign = await signByCa(foreignCa, 'alpha', CLOCK_START - DAY, CLOCK_START + DAY);
    const identity = (c: { certificatePem: string; keys: { privateKeyPem: string } }) => ({
      certificatePem: c.certificatePem,
      privateKeyPem: c.keys.privateKeyPem,
    });

    // Act / Assess: unknown to the registry, whoever signed them
    await expect(connectDevice(t.core, identity(stranger), { clientId: 'alpha' })).rejects.toThrow(
      /Not authorized/,
    );
    await expect(connectDevice(t.core, identity(foreign), { clientId: 'alpha' })).rejects.toThrow(
      /Not authorized/,
    );

    // Act / Assess: registered with its CA, activated and attached, the CA-signed one is accepted
    const { registrationCode } = await t.iot.send(new GetRegistrationCodeCommand({}));
    const proof = await signByCa(foreignCa, registrationCode ?? '', CLOCK_START - DAY, CLOCK_START + DAY);
    await t.iot.send(
      new RegisterCACertificateCommand({
        caCertificate: foreignCa.pem,
        verificationCertificate: proof.certificatePem,
        setAsActive: true,
      }),
    );
    const registered = await t.iot.send(
      new RegisterCertificateCommand({ certificatePem: foreign.certificatePem, setAsActive: true }),
    );
    await t.iot.send(
      new AttachPolicyCommand({ policyName: SUBTREE_POLICY, target: registered.certificateArn }),
    );
    await t.iot.send(
      new AttachThingPrincipalCommand({ thingName: 'alpha', principal: registered.certificateArn }),
    );
    const accepted = await connectDevice(t.core, identity(foreign), { clientId: 'alpha' });
    clients.push(accepted);
    expect(accepted.connected).toBe(true);
  });

  it('publishes lifecycle events with the AWS fields and disconnects the older of two sessions with one client id', async () => {
    // Prepare
    const first = await connect(alpha);
    const firstClosed = closed(first);

    // Act
    const second = await connect(alpha);
    await firstClosed;
    await second.endAsync();

    // Assess
    const connected = await waitFor(
      () =>
        bus
          .filter((m) => m.topic === '$aws/events/presence/connected/alpha')
          .map((m) => JSON.parse(m.payload.toString())),
      (list) => list.length === 2,
    );
    expect(connected[0]).toMatchObject({
      clientId: 'alpha',
      eventType: 'connected',
      versionNumber: 1,
      ipAddress: '127.0.0.1',
    });
    expect(connected[1]).toMatchObject({ versionNumber: 2, principalIdentifier: alpha.certificateId });
    expect(typeof connected[0].sessionIdentifier).toBe('string');
    expect(connected[0].timestamp).toBe(CLOCK_START);
    const reasons = await waitFor(
      () =>
        bus
          .filter((m) => m.topic === '$aws/events/presence/disconnected/alpha')
          .map((m) => JSON.parse(m.payload.toString()).disconnectReason),
      (list) => list.length === 2,
    );
    expect(reasons).toEqual(['DUPLICATE_CLIENTID', 'CLIENT_INITIATED_DISCONNECT']);
  });

  it('delivers retained messages to later subscribers and keeps QoS 1 messages for a persistent session', async () => {
    // Prepare
    const retainingPolicy = await t.core.registry.policies.create(
      'retain',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'iot:RetainPublish', Resource: '*' }],
      }),
    );
    t.core.registry.policies.attach(retainingPolicy.policyName, alpha.certificateArn);
    const a = await connect(alpha);
    await a.publishAsync('management/topic/alpha/state', 'kept', { qos: 1, retain: true });
    const persistent = await connect(beta, 'beta', false);
    await subscribe(persistent, 'management/topic/beta/#', 1);
    await end(persistent);

    // Act
    await t.data.send(
      new PublishCommand({ topic: 'management/topic/beta/csr_req', qos: 1, payload: Buffer.from('queued') }),
    );
    const back = await connectDevice(t.core, beta, { clientId: 'beta', clean: false });
    clients.push(back);
    const queued = await nextMessage(back, 'management/topic/beta/csr_req');
    const later = await connect(alpha, 'alpha');
    const retained = nextMessage(later, 'management/topic/alpha/state');
    await subscribe(later, 'management/topic/alpha/state');

    // Assess
    expect(queued.payload.toString()).toBe('queued');
    const r = await retained;
    expect(r.payload.toString()).toBe('kept');
    expect(r.retain).toBe(true);
  });

  it('drops a persistent session and its queued messages once it has been offline for more than an hour', async () => {
    // Prepare
    const persistent = await connect(beta, 'beta', false);
    await subscribe(persistent, 'management/topic/beta/#', 1);
    await end(persistent);
    await t.data.send(
      new PublishCommand({ topic: 'management/topic/beta/csr_req', qos: 1, payload: Buffer.from('stale') }),
    );

    // Act
    await t.clock.advance(61 * 60 * 1000);
    const back = await connectDevice(t.core, beta, { clientId: 'beta', clean: false });
    clients.push(back);
    const got: string[] = [];
    back.on('message', (_topic, payload) => got.push(payload.toString()));
    await t.data.send(
      new PublishCommand({ topic: 'management/topic/beta/csr_req', qos: 1, payload: Buffer.from('fresh') }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assess: the old subscription is gone too, so nothing arrives
    expect(got).toEqual([]);
  });

  it('authorizes the last will at CONNECT and publishes an allowed one when the device drops', async () => {
    // Prepare
    const foreignWill = { topic: 'management/topic/beta/crt_err', payload: 'bye' };
    const ownWill = { topic: 'management/topic/alpha/gone', payload: 'bye' };

    // Act
    const refused = connectDevice(t.core, alpha, { clientId: 'alpha', will: foreignWill });
    await expect(refused).rejects.toThrow(/Not authorized/);
    const a = await connectDevice(t.core, alpha, { clientId: 'alpha', will: ownWill });
    clients.push(a);
    a.stream.destroy();

    // Assess
    const will = await waitFor(() => bus.find((m) => m.topic === ownWill.topic));
    expect(will).toMatchObject({ clientId: 'alpha', principal: alpha.certificateId });
    expect(will.payload.toString()).toBe('bye');
  });

  it('cuts off a retained publish without iot:RetainPublish', async () => {
    // Prepare
    const a = await connect(alpha);
    const aClosed = closed(a);

    // Act
    a.publish('management/topic/alpha/state', 'x', { qos: 0, retain: true });

    // Assess
    await aClosed;
  });
});

async function waitFor<T>(probe: () => T | undefined, done: (value: T) => boolean = () => true): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = probe();
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
