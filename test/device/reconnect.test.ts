import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  connectedAgent,
  fileAgent,
  makeDeviceFiles,
  removeDeviceFiles,
  waitForEvent,
} from './helpers/agent-harness.ts';
import { TestBroker } from './helpers/test-broker.ts';
import { TestPki } from './helpers/test-pki.ts';

describe('device agent reconnection', () => {
  it('reconnects with backoff when the broker restarts mid-rotation, and the rotation then completes', async () => {
    // Prepare
    const pki = await TestPki.create();
    const first = await TestBroker.start(pki);
    const port = first.port;
    const thing = `rc-${randomUUID().slice(0, 8)}`;
    const old = await first.provisionDevice(thing);
    const files = await makeDeviceFiles(old, pki.caCertificatePem);
    const { agent, events } = fileAgent(first, thing, files);
    await agent.start();
    await waitForEvent(events, (e) => e.type === 'connected');
    const rotationId = randomUUID();
    await first.send(thing, 'csr_req', { rotationId });
    await waitForEvent(events, (e) => e.type === 'csr-sent');

    // Act: the broker goes away for a while and comes back on the same port.
    await first.stop();
    await waitForEvent(events, (e) => e.type === 'disconnected');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const failedWhileDown = events.filter((e) => e.type === 'connect-failed').length;
    const second = await TestBroker.start(pki, port);
    second.allow(old.certificateId);
    const connections = events.filter((e) => e.type === 'connected').length;
    await waitForEvent(events, () => events.filter((e) => e.type === 'connected').length > connections);
    const result = await second.rotate(thing, old.certificateId);
    await waitForEvent(events, (e) => e.type === 'rotated');

    // Assess
    expect(failedWhileDown).toBeGreaterThan(0);
    expect(agent.status()).toMatchObject({
      connected: true,
      certificateId: result.certificateId,
      rotations: 1,
    });
    expect(second.connectedPrincipals().get(thing)).toBe(result.certificateId);
    await agent.stop();
    await second.stop();
    await removeDeviceFiles(files);
  });

  it('sends a reply again after reconnecting when the broker cut the connection before its PUBACK', async () => {
    // Prepare
    const broker = await TestBroker.start();
    const { thing, files, agent, events } = await connectedAgent(broker, 'unacked');
    broker.cutBeforeAck('csr_res');
    const rotationId = randomUUID();

    // Act
    const csr = await broker.requestCsr(thing, rotationId);

    // Assess: the csr_res the broker never took arrived over the next connection, once.
    expect(JSON.parse(csr.payload)).toMatchObject({ rotationId });
    expect(events.filter((e) => e.type === 'connected').length).toBeGreaterThanOrEqual(2);
    expect(broker.messages.filter((m) => m.kind === 'csr_res')).toHaveLength(1);
    await agent.stop();
    await broker.stop();
    await removeDeviceFiles(files);
  });
});
