import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCsrPem, generatePrivateKeyPem, keyMatchesCertificate } from '../../device/agent/crypto.ts';
import { FileCredentialStore } from '../../device/agent/file-credential-store.ts';
import { topicFor } from '../../workflows/rotate-device/protocol.ts';
import {
  brokerDevice,
  type DeviceFiles,
  fileAgent,
  removeDeviceFiles,
  waitForEvent,
} from './helpers/agent-harness.ts';
import { certificateIdOfPem, type IssuedPair } from './helpers/test-pki.ts';
import { useTestBroker } from './helpers/use-test-broker.ts';

/**
 * Power loss at every step of a rotation. Every write of the store is durable (fsync + rename +
 * directory fsync), so what a crash leaves behind is exactly the files written by the steps that
 * completed; each case lays those files out and checks that opening the store ends with a pair
 * whose key matches its certificate, and the right one.
 */

interface Scene {
  thing: string;
  files: DeviceFiles;
  old: IssuedPair;
  newKey: string;
  newCertificatePem: string;
  newCertificateId: string;
  rotationId: string;
}

describe('credential store recovery after power loss', () => {
  const scenes: DeviceFiles[] = [];

  const broker = useTestBroker();
  afterAll(async () => {
    await Promise.all(scenes.map(removeDeviceFiles));
  });

  async function scene(): Promise<Scene> {
    const { thing, old, files } = await brokerDevice(broker(), 'crash');
    scenes.push(files);
    const newKey = await generatePrivateKeyPem('ec-p256');
    const issued = await broker().pki.signCsr(await createCsrPem(newKey, thing));
    return {
      thing,
      files,
      old,
      newKey,
      newCertificatePem: issued.certificatePem,
      newCertificateId: issued.certificateId,
      rotationId: randomUUID(),
    };
  }

  async function activeId(files: DeviceFiles): Promise<string> {
    const certificatePem = await readFile(files.certificatePath, 'utf8');
    const keyPem = await readFile(files.privateKeyPath, 'utf8');
    expect(keyMatchesCertificate(keyPem, certificatePem)).toBe(true);
    return certificateIdOfPem(certificatePem);
  }

  it('a pending key written before its journal entry is discarded; the old pair stays', async () => {
    // Prepare
    const s = await scene();
    await mkdir(s.files.stateDir, { recursive: true });
    await writeFile(join(s.files.stateDir, 'pending.key.pem'), s.newKey, { mode: 0o600 });

    // Act
    const state = await new FileCredentialStore(s.files).open();

    // Assess
    expect(state.pending).toBeUndefined();
    expect(await activeId(s.files)).toBe(s.old.certificateId);
    expect(await readdir(s.files.stateDir)).not.toContain('pending.key.pem');
  });

  it('key-pending: the pending key and its CSR survive, the active pair is the old one', async () => {
    // Prepare
    const s = await scene();
    const before = new FileCredentialStore(s.files);
    await before.open();
    const csr = await createCsrPem(s.newKey, 'x');
    await before.savePendingKey(s.rotationId, s.newKey, csr);

    // Act
    const state = await new FileCredentialStore(s.files).open();

    // Assess
    expect(state.pending?.rotation).toEqual({ phase: 'key-pending', rotationId: s.rotationId, csrPem: csr });
    expect(state.pending?.privateKeyPem).toBe(s.newKey);
    expect(await activeId(s.files)).toBe(s.old.certificateId);
    expect((await stat(join(s.files.stateDir, 'pending.key.pem'))).mode & 0o777).toBe(0o600);
  });

  it('a pending certificate written before its journal entry is dropped; the rotation stays key-pending', async () => {
    // Prepare
    const s = await scene();
    const before = new FileCredentialStore(s.files);
    await before.open();
    await before.savePendingKey(s.rotationId, s.newKey, 'csr');
    await writeFile(join(s.files.stateDir, 'pending.cert.pem'), s.newCertificatePem);

    // Act
    const state = await new FileCredentialStore(s.files).open();

    // Assess
    expect(state.pending?.rotation.phase).toBe('key-pending');
    expect(state.pending?.certificatePem).toBeUndefined();
    expect(await readdir(s.files.stateDir)).not.toContain('pending.cert.pem');
    expect(await activeId(s.files)).toBe(s.old.certificateId);
  });

  it('cert-received: both pairs are kept for the agent to settle', async () => {
    // Prepare
    const s = await scene();
    const before = new FileCredentialStore(s.files);
    await before.open();
    await before.savePendingKey(s.rotationId, s.newKey, 'csr');
    await before.savePendingCertificate(s.rotationId, s.newCertificatePem, s.newCertificateId);

    // Act
    const state = await new FileCredentialStore(s.files).open();

    // Assess
    expect(state.pending?.rotation.phase).toBe('cert-received');
    expect(state.pending?.certificatePem).toBe(s.newCertificatePem);
    expect(await activeId(s.files)).toBe(s.old.certificateId);
  });

  for (const cut of [
    'journal says committing, nothing swapped',
    'key swapped, certificate not',
    'both swapped, journal not updated',
  ]) {
    it(`committing (${cut}): the commit is rolled forward to the new pair`, async () => {
      // Prepare
      const s = await scene();
      const before = new FileCredentialStore(s.files);
      await before.open();
      await before.savePendingKey(s.rotationId, s.newKey, 'csr');
      await before.savePendingCertificate(s.rotationId, s.newCertificatePem, s.newCertificateId);
      const journalPath = join(s.files.stateDir, 'rotation.json');
      const journal = JSON.parse(await readFile(journalPath, 'utf8'));
      journal.pending.phase = 'committing';
      await writeFile(journalPath, JSON.stringify(journal));
      await writeFile(join(s.files.stateDir, 'previous.key.pem'), s.old.privateKeyPem, { mode: 0o600 });
      await writeFile(join(s.files.stateDir, 'previous.cert.pem'), s.old.certificatePem);
      if (cut !== 'journal says committing, nothing swapped') {
        await writeFile(s.files.privateKeyPath, s.newKey, { mode: 0o600 });
      }
      if (cut === 'both swapped, journal not updated')
        await writeFile(s.files.certificatePath, s.newCertificatePem);

      // Act
      const state = await new FileCredentialStore(s.files).open();

      // Assess
      expect(state.pending).toBeUndefined();
      expect(state.completed).toEqual({ rotationId: s.rotationId, certificateId: s.newCertificateId });
      expect(await activeId(s.files)).toBe(s.newCertificateId);
      expect((await stat(s.files.privateKeyPath)).mode & 0o777).toBe(0o600);
      expect((await readdir(s.files.stateDir)).sort()).toEqual(['rotation.json']);
    });
  }

  it('a commit whose journal was finished but whose pending files remain ends clean on the new pair', async () => {
    // Prepare
    const s = await scene();
    const store = new FileCredentialStore(s.files);
    await store.open();
    await store.savePendingKey(s.rotationId, s.newKey, 'csr');
    await store.savePendingCertificate(s.rotationId, s.newCertificatePem, s.newCertificateId);
    await store.commit(s.rotationId);
    await writeFile(join(s.files.stateDir, 'pending.key.pem'), s.newKey, { mode: 0o600 });

    // Act
    const state = await new FileCredentialStore(s.files).open();

    // Assess
    expect(state.completed?.certificateId).toBe(s.newCertificateId);
    expect(await activeId(s.files)).toBe(s.newCertificateId);
    expect(await readdir(s.files.stateDir)).not.toContain('pending.key.pem');
  });

  it('an unreadable journal is ignored and the verified old pair is used', async () => {
    // Prepare
    const s = await scene();
    await new FileCredentialStore(s.files).open();
    await writeFile(join(s.files.stateDir, 'rotation.json'), '{"version": 1, "pending": ');

    // Act
    const state = await new FileCredentialStore(s.files).open();

    // Assess
    expect(state.recoveryNotes.join(' ')).toMatch(/not a valid journal/);
    expect(await activeId(s.files)).toBe(s.old.certificateId);
  });

  it('a damaged active pair is replaced by the previous pair kept during the swap', async () => {
    // Prepare
    const s = await scene();
    await new FileCredentialStore(s.files).open();
    await writeFile(join(s.files.stateDir, 'previous.key.pem'), s.old.privateKeyPem, { mode: 0o600 });
    await writeFile(join(s.files.stateDir, 'previous.cert.pem'), s.old.certificatePem);
    await writeFile(s.files.privateKeyPath, s.newKey, { mode: 0o600 });

    // Act
    const state = await new FileCredentialStore(s.files).open();

    // Assess
    expect(state.recoveryNotes.join(' ')).toMatch(/restored the previous pair/);
    expect(await activeId(s.files)).toBe(s.old.certificateId);
  });

  it('a mismatched pair with nothing to fall back on fails with CredentialMismatchError', async () => {
    // Prepare
    const s = await scene();
    await writeFile(s.files.privateKeyPath, s.newKey, { mode: 0o600 });

    // Act
    const opening = new FileCredentialStore(s.files).open();

    // Assess
    await expect(opening).rejects.toMatchObject({ name: 'CredentialMismatchError' });
  });

  for (const registered of [true, false]) {
    it(`an agent restarted in cert-received ${registered ? 'proves and adopts the new certificate' : 'reports crt_err and keeps the old one'}`, async () => {
      // Prepare
      const s = await scene();
      const thing = new FileCredentialStore(s.files);
      await thing.open();
      await thing.savePendingKey(s.rotationId, s.newKey, 'csr');
      await thing.savePendingCertificate(s.rotationId, s.newCertificatePem, s.newCertificateId);
      if (registered) broker().allow(s.newCertificateId);
      const name = s.thing;
      const { agent, events } = fileAgent(broker(), name, s.files);

      // Act
      await agent.start();
      const outcome = await waitForEvent(
        events,
        (e) => e.type === 'rotated' || e.type === 'certificate-rejected',
      );

      // Assess
      const kind = registered ? 'crt_ack' : 'crt_err';
      const reply = await broker().waitForMessage((m) => m.topic === topicFor(name, kind));
      expect(JSON.parse(reply.payload).rotationId).toBe(s.rotationId);
      expect(reply.principal).toBe(registered ? s.newCertificateId : s.old.certificateId);
      expect(outcome.type).toBe(registered ? 'rotated' : 'certificate-rejected');
      expect(await activeId(s.files)).toBe(registered ? s.newCertificateId : s.old.certificateId);
      await agent.stop();
    });
  }
});
