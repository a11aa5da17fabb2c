import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  IoTClient,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBehaviourMix } from '../../device/fleet/behaviour-mix.ts';
import { FleetSimulator, planFleet } from '../../device/fleet/fleet-simulator.ts';
import { LocalIotProvisioner } from '../../device/fleet/local-iot-provisioner.ts';
import { ManualClock } from '../../lib/clock.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/config.ts';
import type { BusMessage } from '../../local/iot/interfaces.ts';
import { LocalIotCore } from '../../local/iot/iot-core.ts';
import { DEVICE_POLICY_NAME } from '../../workflows/rotate-device/device-policy.ts';
import { encodeMessage, topicFor } from '../../workflows/rotate-device/protocol.ts';

const DAY = 86_400_000;

/**
 * The device side against the local IoT Core: devices provisioned in its registry, connecting to
 * its broker with its server CA, and a rotation driven with the real IoT API through the SDK.
 */
describe('device agent and fleet on the local IoT Core', () => {
  let stateDir: string;
  let core: LocalIotCore;
  let iot: IoTClient;
  let fleet: FleetSimulator;
  const bus: BusMessage[] = [];
  const denied: { clientId: string; reason: string }[] = [];

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'recert-device-iot-'));
    const clock = new ManualClock(Date.now());
    core = new LocalIotCore({
      stateDir,
      clock,
      generatedKeyKind: 'ec-p256',
      onDenied: (event) => denied.push(event),
    });
    const endpoints = await core.start({ httpPort: 0, mqttPort: 0, host: '127.0.0.1' });
    core.bus.subscribe((message) => bus.push(message));
    iot = new IoTClient({
      endpoint: endpoints.http,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    fleet = new FleetSimulator({
      endpoint: { host: endpoints.mqttHost, port: endpoints.mqttPort },
      serverCaPem: await readFile(core.rootCaPath, 'utf8'),
      issuerCaPem: await readFile(core.deviceCaPath, 'utf8'),
      provisioner: new LocalIotProvisioner(core),
      backoff: { initialMs: 20, maxMs: 200 },
      timeoutMs: 5_000,
    });
    const specs = planFleet({
      size: 3,
      mix: parseBehaviourMix('healthy=2,foreign_topic=1'),
      prefix: `iot-${randomUUID().slice(0, 6)}`,
      validity: () => ({ notBefore: new Date(clock.now()), notAfter: new Date(clock.now() + 20 * DAY) }),
    });
    await fleet.provision(specs);
    await fleet.start();
  });
  afterAll(async () => {
    await fleet.stop();
    iot.destroy();
    await core.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function waitForBus(
    predicate: (m: BusMessage) => boolean,
    from = 0,
    timeoutMs = 10_000,
  ): Promise<BusMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = bus.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error('message not seen on the IoT Core bus');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  function named(behaviour: string) {
    const found = fleet.devices().filter((d) => d.behaviourName === behaviour);
    if (found.length === 0) throw new Error(`no ${behaviour} device`);
    return found;
  }

  it('connects every provisioned device to the IoT Core broker with its own certificate', () => {
    expect(new Set(core.connectedClientIds())).toEqual(new Set(fleet.devices().map((d) => d.thingName)));
  });

  it('rotates a device through CreateCertificateFromCsr, and it stays connected when the old certificate is retired', async () => {
    // Prepare
    const [device] = named('healthy');
    if (!device) throw new Error('no device');
    const thing = device.thingName;
    const rotationId = randomUUID();
    const mark = bus.length;

    // Act
    await core.bus.publish({
      topic: topicFor(thing, 'csr_req'),
      payload: encodeMessage('csr_req', { rotationId }),
      qos: 1,
    });
    const csr = await waitForBus((m) => m.topic === topicFor(thing, 'csr_res'), mark);
    const issued = await iot.send(
      new CreateCertificateFromCsrCommand({
        certificateSigningRequest: JSON.parse(csr.payload.toString('utf8')).CSR,
        setAsActive: true,
      }),
    );
    const certificateArn = issued.certificateArn ?? '';
    const certificateId = issued.certificateId ?? '';
    await iot.send(new AttachPolicyCommand({ policyName: DEVICE_POLICY_NAME, target: certificateArn }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: thing, principal: certificateArn }));
    await core.bus.publish({
      topic: topicFor(thing, 'crt_res'),
      payload: encodeMessage('crt_res', {
        rotationId,
        certificatePem: issued.certificatePem ?? '',
        certificateId,
      }),
      qos: 1,
    });
    const ack = await waitForBus((m) => m.topic === topicFor(thing, 'crt_ack'), mark);
    await iot.send(
      new UpdateCertificateCommand({ certificateId: device.initialCertificateId, newStatus: 'INACTIVE' }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assess
    expect(csr.clientId).toBe(thing);
    expect(csr.principal).toBe(device.initialCertificateId);
    expect(ack.principal).toBe(certificateId);
    expect(JSON.parse(ack.payload.toString('utf8'))).toEqual({ rotationId });
    expect(device.state()).toMatchObject({ connected: true, certificateId, rotations: 1 });
    expect(core.connectedClientIds()).toContain(thing);
    expect(await device.holdsWorkingCredentials()).toBe(true);
  });

  it("refuses a device publishing on another device's topic, and the other device keeps its connection", async () => {
    // Prepare
    const [attacker] = named('foreign_topic');
    if (!attacker) throw new Error('no attacker');
    const mark = bus.length;

    // Act
    await core.bus.publish({
      topic: topicFor(attacker.thingName, 'csr_req'),
      payload: encodeMessage('csr_req', { rotationId: randomUUID() }),
      qos: 1,
    });
    const deadline = Date.now() + 5_000;
    while (!denied.some((d) => d.clientId === attacker.thingName) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // Assess
    expect(denied.find((d) => d.clientId === attacker.thingName)?.reason).toMatch(
      /publish|Publish|denied|not authorized/i,
    );
    expect(
      bus.slice(mark).filter((m) => m.clientId === attacker.thingName && m.topic.endsWith('/csr_res')),
    ).toEqual([]);
    for (const honest of named('healthy')) expect(core.connectedClientIds()).toContain(honest.thingName);
  });
});
