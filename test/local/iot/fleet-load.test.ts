import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusMessage } from '../../../local/iot/interfaces.ts';
import { startCore, type TestCore } from './helpers/core.ts';
import { connectDevice, end } from './helpers/mqtt.ts';

const DEVICES = 30;
const MESSAGES = 20;

describe('a small fleet under load (bounded)', () => {
  let t: TestCore;
  let clients: MqttClient[] = [];
  beforeEach(async () => {
    t = await startCore();
  });
  afterEach(async () => {
    await end(...clients);
    clients = [];
    await t.close();
  });

  it('delivers every QoS 1 publish of every device to the bus exactly once, with its principal', async () => {
    // Prepare
    const devices = [];
    for (let i = 0; i < DEVICES; i++) devices.push(await t.core.provisionDevice({ thingName: `load-${i}` }));
    clients = await Promise.all(devices.map((d) => connectDevice(t.core, d, { clientId: d.thingName })));
    const seen: BusMessage[] = [];
    t.core.bus.subscribe((m) => {
      if (m.topic.endsWith('/csr_res')) seen.push(m);
    });

    // Act
    await Promise.all(
      clients.map(async (client, i) => {
        for (let j = 0; j < MESSAGES; j++) {
          await client.publishAsync(
            `management/topic/load-${i}/csr_res`,
            JSON.stringify({ rotationId: `r${j}` }),
            {
              qos: 1,
            },
          );
        }
      }),
    );
    const deadline = Date.now() + 20_000;
    while (seen.length < DEVICES * MESSAGES && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));

    // Assess
    expect(seen).toHaveLength(DEVICES * MESSAGES);
    const keys = new Set(seen.map((m) => `${m.clientId}:${m.payload.toString()}`));
    expect(keys.size).toBe(DEVICES * MESSAGES);
    for (const m of seen) {
      const index = Number(m.clientId?.slice('load-'.length));
      expect(m.principal).toBe(devices[index]?.certificateId);
      expect(m.topic).toBe(`management/topic/${m.clientId}/csr_res`);
    }
  });
});
