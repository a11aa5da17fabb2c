import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../lib/clock.ts';
import { LocalIotCore } from '../../local/iot/iot-core.ts';
import type { ProvisionedDevice } from '../../local/iot/provision.ts';

const HOUR = 60 * 60 * 1000;

/**
 * A device's persistent session on the local IoT Core, as AWS IoT keeps it: the subscription and the
 * QoS 1 messages sent while the device was away are there when it comes back, even across a restart
 * of the local AWS, for an hour.
 */
describe('persistent MQTT sessions of the local IoT Core', () => {
  let dir: string;
  let core: LocalIotCore | undefined;
  const clients: MqttClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await core?.close();
    core = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function startCore(clock: ManualClock, mqttPort = 0): Promise<LocalIotCore> {
    const started = new LocalIotCore({ stateDir: dir, clock, generatedKeyKind: 'ec-p256' });
    await started.start({ httpPort: 0, mqttPort, host: '127.0.0.1' });
    return started;
  }

  async function connect(
    on: LocalIotCore,
    device: ProvisionedDevice,
  ): Promise<{ client: MqttClient; sessionPresent: boolean }> {
    const client = mqtt.connect({
      protocol: 'mqtts',
      host: '127.0.0.1',
      port: on.endpoints.mqttPort,
      key: device.privateKeyPem,
      cert: device.certificatePem,
      ca: await readFile(on.rootCaPath, 'utf8'),
      clientId: device.thingName,
      clean: false,
      reconnectPeriod: 0,
    });
    clients.push(client);
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    return { client, sessionPresent: connack.sessionPresent };
  }

  async function leaveQueued(clock: ManualClock): Promise<{ device: ProvisionedDevice; port: number }> {
    dir = await mkdtemp(join(tmpdir(), 'recert-sessions-'));
    core = await startCore(clock);
    const device = await core.provisionDevice({ thingName: 'session-1' });
    const { client } = await connect(core, device);
    await client.subscribeAsync('management/topic/session-1/+', { qos: 1 });
    await client.endAsync();
    await core.bus.publish({ topic: 'management/topic/session-1/csr_req', payload: '{"n":1}', qos: 1 });
    const port = core.endpoints.mqttPort;
    await core.close();
    return { device, port };
  }

  it('keeps the subscription and the queued QoS 1 message of an offline device across a restart', async () => {
    // Prepare
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const { device, port } = await leaveQueued(clock);

    // Act
    core = await startCore(clock, port);
    const { client, sessionPresent } = await connect(core, device);
    const queued = await new Promise<string>((resolve) =>
      client.once('message', (_t, p) => resolve(p.toString())),
    );
    const live = new Promise<string>((resolve) => client.once('message', (_t, p) => resolve(p.toString())));
    await core.bus.publish({ topic: 'management/topic/session-1/crt_res', payload: '{"n":2}', qos: 1 });

    // Assess: no SUBSCRIBE was sent after the restart, and both messages arrive
    expect(sessionPresent).toBe(true);
    expect(queued).toBe('{"n":1}');
    expect(await live).toBe('{"n":2}');
  });

  it('forgets a session that was offline for more than an hour, restart or not', async () => {
    // Prepare
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const { device, port } = await leaveQueued(clock);
    await clock.advance(HOUR + 60_000);

    // Act
    core = await startCore(clock, port);
    const { sessionPresent } = await connect(core, device);

    // Assess
    expect(sessionPresent).toBe(false);
  });

  it('keeps the MQTT port of a state directory across restarts that ask for any port', async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'recert-sessions-'));
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    core = await startCore(clock);
    const first = core.endpoints.mqttPort;
    await core.close();

    // Act
    core = await startCore(clock);

    // Assess
    expect(core.endpoints.mqttPort).toBe(first);
  });

  it('stops taking messages first at shutdown: devices are let go, and a publish meanwhile waits for them', async () => {
    // Prepare: a connected device with a persistent session.
    dir = await mkdtemp(join(tmpdir(), 'recert-sessions-'));
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    core = await startCore(clock);
    const device = await core.provisionDevice({ thingName: 'session-2' });
    const { client } = await connect(core, device);
    await client.subscribeAsync('management/topic/session-2/+', { qos: 1 });
    const port = core.endpoints.mqttPort;
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));

    // Act: intake stops; the services, still up, publish to the device; then the restart.
    await core.stopIntake();
    await closed;
    const refused = connect(core, device).then(
      () => 'connected',
      () => 'refused',
    );
    await core.bus.publish({ topic: 'management/topic/session-2/csr_req', payload: '{"n":2}', qos: 1 });
    await core.close();
    core = await startCore(clock, port);
    const back = await connect(core, device);
    const queued = await new Promise<string>((resolve) =>
      back.client.once('message', (_t, p) => resolve(p.toString())),
    );

    // Assess
    expect(await refused).toBe('refused');
    expect(back.sessionPresent).toBe(true);
    expect(queued).toBe('{"n":2}');
  });
});
