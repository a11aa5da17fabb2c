import { CreateTopicRuleCommand } from '@aws-sdk/client-iot';
import { PublishCommand } from '@aws-sdk/client-iot-data-plane';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PUBLISH_BYTES } from '../../../local/iot/api/data-plane-routes.ts';
import {
  MAX_MQTT_PAYLOAD_BYTES,
  PAYLOAD_LIMIT_EXCEEDED,
  PayloadTooLargeError,
} from '../../../local/iot/broker/mqtt-broker.ts';
import type { BusMessage } from '../../../local/iot/interfaces.ts';
import { topicRuleRoutes } from '../../../local/iot/rules/rule-routes.ts';
import { RulesEngine, type RulesEngineEvent } from '../../../local/iot/rules/rules-engine.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';
import { startCore, type TestCore } from './helpers/core.ts';
import { closed, connectDevice, end, nextMessage, subscribe } from './helpers/mqtt.ts';
import { MANAGEMENT_SUBTREE_POLICY_DOCUMENT } from './helpers/policies.ts';

/** AWS IoT Core's message payload limit: 128 KB, AWS's KB being 1,024 bytes. */
const LIMIT = 128 * 1024;

describe('IoT Core message size limit (128 KiB), as AWS enforces it', () => {
  let t: TestCore;
  let bus: BusMessage[];
  let clients: MqttClient[];
  /** Why the broker refused or cut off a client. */
  let denied: string[];

  beforeEach(async () => {
    denied = [];
    t = await startCore({ onDenied: (event) => denied.push(event.reason) });
    bus = [];
    clients = [];
    t.core.bus.subscribe((m) => bus.push(m));
    t.core.registry.policies.create('own-subtree', MANAGEMENT_SUBTREE_POLICY_DOCUMENT);
  });
  afterEach(async () => {
    await end(...clients);
    await t.close();
  });

  it('uses the limit AWS documents for both the data plane and MQTT', () => {
    expect(MAX_PUBLISH_BYTES).toBe(LIMIT);
    expect(MAX_MQTT_PAYLOAD_BYTES).toBe(LIMIT);
  });

  it('data-plane Publish: takes 128 KiB, refuses 128 KiB + 1 with RequestEntityTooLargeException (413)', async () => {
    // Act
    const atLimit = await t.data.send(
      new PublishCommand({ topic: 'fleet/at-limit', payload: Buffer.alloc(LIMIT, 0x61) }),
    );
    const overLimit = await t.data
      .send(new PublishCommand({ topic: 'fleet/over-limit', payload: Buffer.alloc(LIMIT + 1, 0x61) }))
      .catch((error: unknown) => error);

    // Assess
    expect(atLimit.$metadata.httpStatusCode).toBe(200);
    expect(bus.find((m) => m.topic === 'fleet/at-limit')?.payload.length).toBe(LIMIT);
    expect(overLimit).toMatchObject({
      name: 'RequestEntityTooLargeException',
      $metadata: { httpStatusCode: 413 },
    });
    expect(bus.some((m) => m.topic === 'fleet/over-limit')).toBe(false);
  });

  it('MQTT: delivers a 128 KiB PUBLISH; disconnects the client for 128 KiB + 1 with CLIENT_ERROR', async () => {
    // Prepare
    const device = await t.core.provisionDevice({ thingName: 'big-sender', policyName: 'own-subtree' });
    const client = await connectDevice(t.core, device, { clientId: 'big-sender' });
    clients.push(client);
    await subscribe(client, 'management/topic/big-sender/+');
    const echoed = nextMessage(client, 'management/topic/big-sender/at-limit');

    // Act: the largest payload AWS accepts goes through, to the bus and back to the subscriber.
    await client.publishAsync('management/topic/big-sender/at-limit', Buffer.alloc(LIMIT, 0x62), { qos: 1 });
    const delivered = await echoed;
    // One byte more: AWS IoT ends the connection (PAYLOAD_LIMIT_EXCEEDED, reason CLIENT_ERROR).
    const gone = closed(client);
    client.publish('management/topic/big-sender/over-limit', Buffer.alloc(LIMIT + 1, 0x62), { qos: 1 });
    await gone;

    // Assess
    expect(delivered.payload.length).toBe(LIMIT);
    expect(bus.some((m) => m.topic === 'management/topic/big-sender/over-limit')).toBe(false);
    expect(denied).toEqual([PAYLOAD_LIMIT_EXCEEDED]);
    const event = await untilOnBus(bus, '$aws/events/presence/disconnected/big-sender');
    expect(JSON.parse(event.payload.toString())).toMatchObject({
      clientId: 'big-sender',
      clientInitiatedDisconnect: false,
      disconnectReason: 'CLIENT_ERROR',
    });
  });

  it("a rule's republish over the limit fails as a RepublishAction failure; the service's own publish is held to it", async () => {
    // Prepare: the rule adds a field to a message already at the limit, so its output is over it.
    const events: RulesEngineEvent[] = [];
    const engine = new RulesEngine({
      bus: t.core.bus,
      functions: new FunctionRegistry(t.core.partition.region, t.core.partition.accountId),
      clock: t.clock,
      ...t.core.partition,
      stateDir: t.stateDir,
      onEvent: (event) => events.push(event),
    });
    await engine.start();
    t.core.addRoutes(topicRuleRoutes(engine));
    await t.iot.send(
      new CreateTopicRuleCommand({
        ruleName: 'grow',
        topicRulePayload: {
          sql: "SELECT *, topic() AS source FROM 'in/+'",
          actions: [{ republish: { roleArn: 'arn:aws:iam::000000000000:role/r', topic: 'out/grown' } }],
        },
      }),
    );
    const filler = 'c'.repeat(LIMIT - '{"d":""}'.length);

    try {
      // Act
      await t.data.send(new PublishCommand({ topic: 'in/big', payload: Buffer.from(`{"d":"${filler}"}`) }));
      await engine.idle();
      const direct = t.core.bus.publish({ topic: 'out/direct', payload: Buffer.alloc(LIMIT + 1) });

      // Assess
      await expect(direct).rejects.toBeInstanceOf(PayloadTooLargeError);
      expect(bus.some((m) => m.topic.startsWith('out/'))).toBe(false);
      expect(events).toContainEqual({
        type: 'action-failed',
        ruleName: 'grow',
        failure: {
          failedAction: 'RepublishAction',
          failedResource: 'out/grown',
          errorMessage: expect.stringContaining('PAYLOAD_LIMIT_EXCEEDED'),
        },
      });
    } finally {
      await engine.close();
    }
  });
});

/** The message on `topic` once the bus has it (lifecycle events are published asynchronously). */
async function untilOnBus(bus: BusMessage[], topic: string): Promise<BusMessage> {
  for (;;) {
    const found = bus.find((m) => m.topic === topic);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
