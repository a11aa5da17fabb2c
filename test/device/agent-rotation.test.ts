import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyMatchesCertificate } from '../../device/agent/crypto.ts';
import { topicFor } from '../../workflows/rotate-device/protocol.ts';
import { fileAgent, makeDeviceFiles, removeDeviceFiles, waitForEvent } from './helpers/agent-harness.ts';
import { TestBroker } from './helpers/test-broker.ts';
import { certificateIdOfPem, describeCsr } from './helpers/test-pki.ts';

describe('device agent rotation over mutual TLS', () => {
  let broker: TestBroker;

  beforeAll(async () => {
    broker = await TestBroker.start();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('rotates: CSR over the old certificate, ack over the new one, new pair on disk with mode 0600', async () => {
    // Prepare
    const thing = `rot-${randomUUID().slice(0, 8)}`;
    const old = await broker.provisionDevice(thing);
    const files = await makeDeviceFiles(old, broker.pki.caCertificatePem);
    const { agent, events } = fileAgent(broker, thing, files, { issuerCaPem: broker.pki.caCertificatePem });
    await agent.start();
    await waitForEvent(events, (e) => e.type === 'connected');

    // Act
    const result = await broker.rotate(thing, old.certificateId);
    await waitForEvent(events, (e) => e.type === 'rotated');

    // Assess
    const csrMessage = broker.messages.find((m) => m.topic === topicFor(thing, 'csr_res'));
    expect(csrMessage?.principal).toBe(old.certificateId);
    const csr = await describeCsr(JSON.parse(csrMessage?.payload ?? '{}').CSR);
    expect(csr.subject).toBe(`CN=${thing}`);
    expect(csr.namedCurve).toBe('prime256v1');
    const ack = broker.messages.find((m) => m.topic === topicFor(thing, 'crt_ack'));
    expect(ack?.principal).toBe(result.certificateId);
    expect(JSON.parse(ack?.payload ?? '{}')).toEqual({ rotationId: result.rotationId });
    const certificateOnDisk = await readFile(files.certificatePath, 'utf8');
    const keyOnDisk = await readFile(files.privateKeyPath, 'utf8');
    expect(certificateIdOfPem(certificateOnDisk)).toBe(result.certificateId);
    expect(keyMatchesCertificate(keyOnDisk, certificateOnDisk)).toBe(true);
    expect((await stat(files.privateKeyPath)).mode & 0o777).toBe(0o600);
    expect(agent.status()).toMatchObject({
      connected: true,
      certificateId: result.certificateId,
      rotations: 1,
    });
    expect(broker.connectedPrincipals().get(thing)).toBe(result.certificateId);
    for (const message of broker.messages) expect(message.payload).not.toContain('PRIVATE KEY');
    await agent.stop();
    await removeDeviceFiles(files);
  });
});
