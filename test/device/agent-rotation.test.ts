import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { keyMatchesCertificate } from '../../device/agent/crypto.ts';
import { topicFor } from '../../workflows/rotate-device/protocol.ts';
import { connectedAgent, removeDeviceFiles, waitForEvent } from './helpers/agent-harness.ts';
import { certificateIdOfPem, describeCsr, TestPki } from './helpers/test-pki.ts';
import { useTestBroker } from './helpers/use-test-broker.ts';

describe('device agent rotation over mutual TLS', () => {
  const broker = useTestBroker();

  it('rotates: CSR over the old certificate, ack over the new one, new pair on disk with mode 0600', async () => {
    // Prepare
    const { thing, old, files, agent, events } = await connectedAgent(broker(), 'rot', {
      issuerCaPem: broker().pki.caCertificatePem,
    });

    // Act
    const result = await broker().rotate(thing, old.certificateId);
    await waitForEvent(events, (e) => e.type === 'rotated');

    // Assess
    const csrMessage = broker().messages.find((m) => m.topic === topicFor(thing, 'csr_res'));
    expect(csrMessage?.principal).toBe(old.certificateId);
    const csr = await describeCsr(JSON.parse(csrMessage?.payload ?? '{}').CSR);
    expect(csr.subject).toBe(`CN=${thing}`);
    expect(csr.namedCurve).toBe('prime256v1');
    const ack = broker().messages.find((m) => m.topic === topicFor(thing, 'crt_ack'));
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
    expect(broker().connectedPrincipals().get(thing)).toBe(result.certificateId);
    for (const message of broker().messages) expect(message.payload).not.toContain('PRIVATE KEY');
    await agent.stop();
    await removeDeviceFiles(files);
  });

  it('sends crt_err over the old certificate when the new one cannot connect, and keeps the old pair', async () => {
    // Prepare
    const { thing, old, files, agent, events } = await connectedAgent(broker(), 'err');
    const rotationId = randomUUID();
    await broker().send(thing, 'csr_req', { rotationId });
    const csrMessage = await broker().waitForMessage((m) => m.topic === topicFor(thing, 'csr_res'));
    const issued = await broker().pki.signCsr(JSON.parse(csrMessage.payload).CSR);

    // Act: the certificate is signed but never registered, so the broker refuses it.
    await broker().send(thing, 'crt_res', {
      rotationId,
      certificatePem: issued.certificatePem,
      certificateId: issued.certificateId,
    });
    const error = await broker().waitForMessage((m) => m.topic === topicFor(thing, 'crt_err'));
    await waitForEvent(events, (e) => e.type === 'certificate-rejected');

    // Assess
    expect(error.principal).toBe(old.certificateId);
    const body = JSON.parse(error.payload);
    expect(body.rotationId).toBe(rotationId);
    expect(body.error).toMatch(/new certificate failed \(.*[Nn]ot authorized.*\)/);
    expect(broker().messages.some((m) => m.topic === topicFor(thing, 'crt_ack'))).toBe(false);
    expect(certificateIdOfPem(await readFile(files.certificatePath, 'utf8'))).toBe(old.certificateId);
    expect(agent.status()).toMatchObject({ certificateId: old.certificateId, rotations: 0 });
    expect(agent.status().pendingRotationId).toBeUndefined();
    expect(await agent.holdsWorkingCredentials()).toBe(true);
    await waitForEvent(events, () => broker().connectedPrincipals().get(thing) === old.certificateId);
    await agent.stop();
    await removeDeviceFiles(files);
  });

  it('refuses a certificate for another key or from another CA with crt_err naming the reason', async () => {
    // Prepare
    const { thing, old, files, agent, events } = await connectedAgent(broker(), 'chk', {
      issuerCaPem: broker().pki.caCertificatePem,
    });
    const strangerCa = await TestPki.create('stranger CA');

    // Act: first a certificate for some other key, then one for the right key from the wrong CA.
    const first = randomUUID();
    await broker().send(thing, 'csr_req', { rotationId: first });
    await broker().waitForMessage((m) => m.topic === topicFor(thing, 'csr_res'));
    const otherKey = await broker().pki.issueDevice(thing);
    await broker().send(thing, 'crt_res', {
      rotationId: first,
      certificatePem: otherKey.certificatePem,
      certificateId: otherKey.certificateId,
    });
    const wrongKey = await broker().waitForMessage((m) => m.topic === topicFor(thing, 'crt_err'));
    const second = randomUUID();
    const mark = broker().messages.length;
    await broker().send(thing, 'csr_req', { rotationId: second, previousError: 'DeviceCertificateError' });
    const csr = await broker().waitForMessage((m) => m.topic === topicFor(thing, 'csr_res'), 10_000, mark);
    const foreign = await strangerCa.signCsr(JSON.parse(csr.payload).CSR);
    await broker().send(thing, 'crt_res', {
      rotationId: second,
      certificatePem: foreign.certificatePem,
      certificateId: foreign.certificateId,
    });
    const wrongCa = await broker().waitForMessage(
      (m) => m.topic === topicFor(thing, 'crt_err'),
      10_000,
      mark,
    );

    // Assess
    expect(JSON.parse(wrongKey.payload)).toMatchObject({ rotationId: first });
    expect(JSON.parse(wrongKey.payload).error).toMatch(/not the pending key/);
    expect(JSON.parse(wrongCa.payload)).toMatchObject({ rotationId: second });
    expect(JSON.parse(wrongCa.payload).error).toMatch(/does not chain to the configured CA/);
    expect(events.find((e) => e.type === 'csr-sent' && e.rotationId === second)).toMatchObject({
      previousError: 'DeviceCertificateError',
    });
    expect(agent.status()).toMatchObject({ certificateId: old.certificateId, rotations: 0 });
    await agent.stop();
    await removeDeviceFiles(files);
  });

  it('answers a repeated csr_req with the same CSR and re-acks a repeated crt_res after success', async () => {
    // Prepare
    const { thing, files, agent, events } = await connectedAgent(broker(), 'dup');
    const rotationId = randomUUID();
    const isCsr = (m: { topic: string }) => m.topic === topicFor(thing, 'csr_res');

    // Act
    await broker().send(thing, 'csr_req', { rotationId });
    const firstCsr = await broker().waitForMessage(isCsr);
    await broker().send(thing, 'csr_req', { rotationId });
    await waitForEvent(events, (e) => e.type === 'csr-sent' && e.repeated);
    await broker().waitForMessage(() => broker().messages.filter(isCsr).length >= 2);
    const issued = await broker().pki.signCsr(JSON.parse(firstCsr.payload).CSR);
    broker().allow(issued.certificateId);
    const delivery = {
      rotationId,
      certificatePem: issued.certificatePem,
      certificateId: issued.certificateId,
    };
    await broker().send(thing, 'crt_res', delivery);
    await waitForEvent(events, (e) => e.type === 'rotated');
    await broker().send(thing, 'crt_res', delivery);
    await waitForEvent(events, (e) => e.type === 'ack-repeated');
    await broker().waitForMessage(
      () => broker().messages.filter((m) => m.topic === topicFor(thing, 'crt_ack')).length >= 2,
    );

    // Assess
    const csrs = broker().messages.filter(isCsr);
    expect(csrs).toHaveLength(2);
    expect(csrs[0]?.payload).toBe(csrs[1]?.payload);
    const acks = broker().messages.filter((m) => m.topic === topicFor(thing, 'crt_ack'));
    expect(acks.map((m) => m.principal)).toEqual([issued.certificateId, issued.certificateId]);
    expect(agent.status()).toMatchObject({ rotations: 1, certificateId: issued.certificateId });
    await agent.stop();
    await removeDeviceFiles(files);
  });
});
