import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProvisionedDevice } from '../../../local/iot/provision.ts';
import { startCore, type TestCore } from './helpers/core.ts';
import { connectDevice, end } from './helpers/mqtt.ts';

/** Opens a TLS connection and reports whether the handshake succeeded and how the socket ended. */
function probe(
  t: TestCore,
  options: { cert?: string; key?: string; maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; send?: Buffer },
): Promise<{ handshake: boolean; closed: boolean }> {
  return new Promise((resolve) => {
    let handshake = false;
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: t.core.endpoints.mqttPort,
      ca: readFileSync(t.core.rootCaPath, 'utf8'),
      servername: 'localhost',
      ...(options.cert ? { cert: options.cert, key: options.key } : {}),
      // Security level 0 lets this client offer TLS 1.1 at all, so only the server can refuse it.
      ...(options.maxVersion
        ? { maxVersion: options.maxVersion, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }
        : {}),
    });
    socket.once('secureConnect', () => {
      handshake = true;
      if (options.send) socket.write(options.send);
      else socket.destroy();
    });
    socket.on('data', () => undefined);
    socket.once('error', () => undefined);
    socket.once('close', () => resolve({ handshake, closed: true }));
    setTimeout(() => {
      socket.destroy();
      resolve({ handshake, closed: false });
    }, 3000).unref();
  });
}

describe('MQTT transport security and robustness', () => {
  let t: TestCore;
  let device: ProvisionedDevice;
  beforeEach(async () => {
    t = await startCore();
    device = await t.core.provisionDevice({ thingName: 'gamma' });
  });
  afterEach(async () => {
    await t.close();
  });

  it('refuses TLS older than 1.2', async () => {
    // Act
    const old = await probe(t, {
      cert: device.certificatePem,
      key: device.privateKeyPem,
      maxVersion: 'TLSv1.1',
    });
    const current = await probe(t, {
      cert: device.certificatePem,
      key: device.privateKeyPem,
      maxVersion: 'TLSv1.2',
    });

    // Assess
    expect(old.handshake).toBe(false);
    expect(current.handshake).toBe(true);
  });

  it('closes a connection that presents no client certificate', async () => {
    // Act
    const anonymous = await probe(t, {});

    // Assess
    expect(anonymous.closed).toBe(true);
  });

  it('drops a client that sends garbage instead of MQTT and keeps serving others', async () => {
    // Act
    const garbage = await probe(t, {
      cert: device.certificatePem,
      key: device.privateKeyPem,
      send: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37, 0x42]),
    });
    const client = await connectDevice(t.core, device, { clientId: 'gamma' });
    await end(client);

    // Assess
    expect(garbage).toEqual({ handshake: true, closed: true });
    expect(client.connected).toBe(false);
  });

  it('applies the per-client-id CONNECT quota when quotas are on', async () => {
    // Prepare
    const limited = await startCore({ quotas: true });
    try {
      const d = await limited.core.provisionDevice({ thingName: 'delta' });
      const first = await connectDevice(limited.core, d, { clientId: 'delta' });
      await end(first);

      // Act
      const tooSoon = connectDevice(limited.core, d, { clientId: 'delta' });
      await expect(tooSoon).rejects.toThrow(/Not authorized/);
      await limited.clock.advance(1000);
      const later = await connectDevice(limited.core, d, { clientId: 'delta' });

      // Assess
      expect(later.connected).toBe(true);
      await end(later);
    } finally {
      await limited.close();
    }
  });
});
