/** Real mqtt.js clients over mutual TLS against the local broker. */
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import type { LocalIotCore } from '../../../../local/iot/iot-core.ts';

export interface DeviceIdentity {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface ConnectOptions {
  readonly clientId: string;
  readonly clean?: boolean;
  readonly ca?: string;
  readonly will?: { topic: string; payload: string };
}

/** Resolves once CONNACK accepts; rejects with the refusal (error or closed socket) otherwise. */
export function connectDevice(
  core: LocalIotCore,
  identity: DeviceIdentity,
  options: ConnectOptions,
): Promise<MqttClient> {
  const client = mqtt.connect(core.endpoints.mqttUrl, {
    clientId: options.clientId,
    clean: options.clean ?? true,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 15_000,
    ca: options.ca ?? readFileSync(core.rootCaPath, 'utf8'),
    cert: identity.certificatePem,
    key: identity.privateKeyPem,
    rejectUnauthorized: true,
    ...(options.will
      ? {
          will: {
            topic: options.will.topic,
            payload: Buffer.from(options.will.payload),
            qos: 1,
            retain: false,
          },
        }
      : {}),
  });
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      client.end(true);
      reject(error);
    };
    client.once('connect', () => {
      client.off('error', fail);
      resolve(client);
    });
    client.once('error', fail);
    client.once('close', () => fail(new Error('connection closed before CONNACK')));
  });
}

/** Resolves when the client's connection is closed (by either side). */
export function closed(client: MqttClient): Promise<void> {
  if (!client.connected) return Promise.resolve();
  return new Promise((resolve) => client.once('close', () => resolve()));
}

export function nextMessage(
  client: MqttClient,
  topic: string,
): Promise<{ topic: string; payload: Buffer; retain: boolean }> {
  return new Promise((resolve) => {
    const onMessage = (t: string, payload: Buffer, packet: { retain: boolean }): void => {
      if (t !== topic) return;
      client.off('message', onMessage);
      resolve({ topic: t, payload, retain: packet.retain });
    };
    client.on('message', onMessage);
  });
}

export async function subscribe(client: MqttClient, filter: string, qos: 0 | 1 = 1): Promise<void> {
  await client.subscribeAsync(filter, { qos });
}

export async function end(...clients: MqttClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
}
