import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { keyMatchesCertificate } from '../../device/agent/crypto.ts';
import { topicFor } from '../../workflows/rotate-device/protocol.ts';
import { brokerDevice, type DeviceFiles, removeDeviceFiles } from './helpers/agent-harness.ts';
import { AgentProcess } from './helpers/agent-process.ts';
import { certificateIdOfPem } from './helpers/test-pki.ts';
import { useTestBroker } from './helpers/use-test-broker.ts';

/** A real `kill -9` of the device agent process in the middle of a rotation. */
describe('device agent killed with SIGKILL mid-rotation', () => {
  const dirs: DeviceFiles[] = [];

  const broker = useTestBroker();
  afterAll(async () => {
    await Promise.all(dirs.map(removeDeviceFiles));
  });

  async function activePair(files: DeviceFiles): Promise<{ id: string; matches: boolean }> {
    const certificatePem = await readFile(files.certificatePath, 'utf8');
    const keyPem = await readFile(files.privateKeyPath, 'utf8');
    return { id: certificateIdOfPem(certificatePem), matches: keyMatchesCertificate(keyPem, certificatePem) };
  }

  it('killed after sending its CSR: on restart the same request gets the same CSR, and the rotation completes', async () => {
    // Prepare
    const { thing, files } = await brokerDevice(broker(), 'k9a');
    dirs.push(files);
    const first = AgentProcess.start(thing, files, broker().port);
    await first.waitForLine(/"type":"connected"/);
    const rotationId = randomUUID();
    const csrBefore = await broker().requestCsr(thing, rotationId);

    // Act
    await first.kill9();
    const second = AgentProcess.start(thing, files, broker().port);
    await second.waitForLine(/"type":"connected"/);
    const csrAfter = await broker().requestCsr(thing, rotationId);
    const issued = await broker().deliver(thing, rotationId, csrAfter);
    await second.waitForLine(/"type":"rotated"/);
    await second.stop();

    // Assess
    expect(csrAfter.payload).toBe(csrBefore.payload);
    const ack = await broker().waitForMessage((m) => m.topic === topicFor(thing, 'crt_ack'));
    expect(ack.principal).toBe(issued.certificateId);
    expect(await activePair(files)).toEqual({ id: issued.certificateId, matches: true });
  });

  for (const moment of ['as soon as crt_ack reaches the broker', 'after the agent reports the rotation']) {
    it(`killed ${moment}, with the old certificate then retired: it reconnects with the new one`, async () => {
      // Prepare
      const { thing, old, files } = await brokerDevice(broker(), 'k9b');
      dirs.push(files);
      const first = AgentProcess.start(thing, files, broker().port);
      await first.waitForLine(/"type":"connected"/);
      const rotationId = randomUUID();
      const csr = await broker().requestCsr(thing, rotationId);

      // Act
      const issued = await broker().deliver(thing, rotationId, csr);
      await broker().waitForMessage(
        (m) => m.topic === topicFor(thing, 'crt_ack') && m.principal === issued.certificateId,
      );
      if (moment === 'after the agent reports the rotation') await first.waitForLine(/"type":"rotated"/);
      await first.kill9();
      // The proof arrived, so the cloud retires the old certificate.
      broker().revoke(old.certificateId);
      const second = AgentProcess.start(thing, files, broker().port);
      const connected = await second.waitForLine(/"type":"connected"/);
      await second.stop();

      // Assess
      expect(JSON.parse(connected).certificateId).toBe(issued.certificateId);
      expect(await activePair(files)).toEqual({ id: issued.certificateId, matches: true });
    });
  }
});
