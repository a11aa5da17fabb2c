import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CompletedRotation,
  type CredentialPair,
  type CredentialStore,
  Journal,
  type PendingRotation,
  type StoredState,
} from './credential-store.ts';
import { keyMatchesCertificate } from './crypto.ts';
import { isNotFound, removeDurably, writeFileDurably } from './durable-fs.ts';
import { CredentialMismatchError, CredentialStoreError, JournalCorruptError } from './errors.ts';

export interface FileCredentialStorePaths {
  /** The active certificate, PEM; replaced in place when a rotation commits. */
  readonly certificatePath: string;
  /** The active private key, PKCS#8 PEM, mode 0600; replaced in place when a rotation commits. */
  readonly privateKeyPath: string;
  /** Holds the journal and the pending and previous material. */
  readonly stateDir: string;
}

export const KEY_FILE_MODE = 0o600;
const CERTIFICATE_FILE_MODE = 0o644;
const JOURNAL_FILE = 'rotation.json';
const PENDING_KEY_FILE = 'pending.key.pem';
const PENDING_CERTIFICATE_FILE = 'pending.cert.pem';
const PREVIOUS_KEY_FILE = 'previous.key.pem';
const PREVIOUS_CERTIFICATE_FILE = 'previous.cert.pem';

/**
 * A credential store on a POSIX file system. Every step is one durable write (temp file, fsync,
 * rename, directory fsync) and the journal is written after the files it names, so a power loss
 * between any two steps leaves a state `open` can finish or roll back:
 *
 *   savePendingKey:         (journal without an earlier pending) -> pending key -> journal{key-pending}
 *   savePendingCertificate: pending cert -> journal{cert-received}
 *   commit:                 previous copies -> journal{committing} -> key -> cert -> journal{completed}
 */
export class FileCredentialStore implements CredentialStore {
  private journal: Journal = { version: 1 };

  constructor(readonly paths: FileCredentialStorePaths) {}

  private file(name: string): string {
    return join(this.paths.stateDir, name);
  }

  async open(): Promise<StoredState> {
    await mkdir(this.paths.stateDir, { recursive: true, mode: 0o700 });
    const notes: string[] = [];
    this.journal = await this.readJournal(notes);
    let pending = this.journal.pending;
    const pendingKey = await readOptional(this.file(PENDING_KEY_FILE));
    const pendingCertificate = await readOptional(this.file(PENDING_CERTIFICATE_FILE));

    if (pending?.phase === 'committing') {
      if (pendingKey !== undefined && pendingCertificate !== undefined) {
        if (!keyMatchesCertificate(pendingKey, pendingCertificate)) {
          throw new CredentialStoreError(
            'the journal says commit, but the pending key and certificate differ',
          );
        }
        await this.installActive({ privateKeyPem: pendingKey, certificatePem: pendingCertificate });
        notes.push(`rolled forward the commit of rotation ${pending.rotationId}`);
      } else {
        notes.push(`finished the commit of rotation ${pending.rotationId}`);
      }
      await this.finishCommit(pending);
      pending = undefined;
    } else if (pending !== undefined) {
      const keyUsable = pendingKey !== undefined && isPrivateKeyPem(pendingKey);
      const certificateUsable =
        pending.phase !== 'cert-received' ||
        (pendingKey !== undefined &&
          pendingCertificate !== undefined &&
          keyMatchesCertificate(pendingKey, pendingCertificate));
      if (!keyUsable || !certificateUsable) {
        notes.push(`rolled back rotation ${pending.rotationId}: its pending material is missing or damaged`);
        pending = undefined;
        await this.writeJournal({ version: 1, ...this.completedPart() });
      }
    }

    const active = await this.recoverActive(notes);
    await this.removeOrphans(pending);
    const completed = this.journal.completed;
    return {
      active,
      ...(pending !== undefined && pendingKey !== undefined
        ? {
            pending: {
              rotation: pending,
              privateKeyPem: pendingKey,
              ...(pending.phase === 'cert-received' && pendingCertificate !== undefined
                ? { certificatePem: pendingCertificate }
                : {}),
            },
          }
        : {}),
      ...(completed !== undefined ? { completed } : {}),
      recoveryNotes: notes,
    };
  }

  async savePendingKey(rotationId: string, privateKeyPem: string, csrPem: string): Promise<void> {
    // An earlier rotation's entry goes first, so the journal never names a CSR for a key it no longer has.
    if (this.journal.pending !== undefined) await this.writeJournal({ version: 1, ...this.completedPart() });
    await removeDurably(this.file(PENDING_CERTIFICATE_FILE));
    await writeFileDurably(this.file(PENDING_KEY_FILE), privateKeyPem, KEY_FILE_MODE);
    await this.writeJournal({
      version: 1,
      pending: { phase: 'key-pending', rotationId, csrPem },
      ...this.completedPart(),
    });
  }

  async savePendingCertificate(
    rotationId: string,
    certificatePem: string,
    certificateId: string,
  ): Promise<void> {
    const pending = this.requirePending(rotationId);
    await writeFileDurably(this.file(PENDING_CERTIFICATE_FILE), certificatePem, CERTIFICATE_FILE_MODE);
    await this.writeJournal({
      version: 1,
      pending: { phase: 'cert-received', rotationId, csrPem: pending.csrPem, certificateId },
      ...this.completedPart(),
    });
  }

  async commit(rotationId: string): Promise<CredentialPair> {
    const pending = this.requirePending(rotationId);
    if (pending.phase === 'key-pending') {
      throw new CredentialStoreError(`rotation ${rotationId} has no certificate to commit`);
    }
    const privateKeyPem = await readFile(this.file(PENDING_KEY_FILE), 'utf8');
    const certificatePem = await readFile(this.file(PENDING_CERTIFICATE_FILE), 'utf8');
    if (!keyMatchesCertificate(privateKeyPem, certificatePem)) {
      throw new CredentialMismatchError(`rotation ${rotationId}: the pending key and certificate differ`);
    }
    // The old pair stays on disk until the swap is complete, in case the active files are damaged.
    const old = await this.current();
    await writeFileDurably(this.file(PREVIOUS_KEY_FILE), old.privateKeyPem, KEY_FILE_MODE);
    await writeFileDurably(this.file(PREVIOUS_CERTIFICATE_FILE), old.certificatePem, CERTIFICATE_FILE_MODE);
    const committing: PendingRotation = { ...pending, phase: 'committing' };
    await this.writeJournal({ version: 1, pending: committing, ...this.completedPart() });
    await this.installActive({ privateKeyPem, certificatePem });
    await this.finishCommit(committing);
    return { privateKeyPem, certificatePem };
  }

  async discardPending(): Promise<void> {
    await this.writeJournal({ version: 1, ...this.completedPart() });
    await removeDurably(this.file(PENDING_CERTIFICATE_FILE));
    await removeDurably(this.file(PENDING_KEY_FILE));
  }

  private requirePending(rotationId: string): PendingRotation {
    const pending = this.journal.pending;
    if (pending === undefined || pending.rotationId !== rotationId) {
      throw new CredentialStoreError(`no pending rotation ${rotationId} in the journal`);
    }
    return pending;
  }

  private completedPart(): { completed?: CompletedRotation } {
    return this.journal.completed !== undefined ? { completed: this.journal.completed } : {};
  }

  private async finishCommit(rotation: PendingRotation): Promise<void> {
    const completed =
      rotation.certificateId !== undefined
        ? { rotationId: rotation.rotationId, certificateId: rotation.certificateId }
        : this.journal.completed;
    await this.writeJournal({ version: 1, ...(completed !== undefined ? { completed } : {}) });
    for (const name of [
      PENDING_CERTIFICATE_FILE,
      PENDING_KEY_FILE,
      PREVIOUS_CERTIFICATE_FILE,
      PREVIOUS_KEY_FILE,
    ]) {
      await removeDurably(this.file(name));
    }
  }

  private async installActive(pair: CredentialPair): Promise<void> {
    await writeFileDurably(this.paths.privateKeyPath, pair.privateKeyPem, KEY_FILE_MODE);
    await writeFileDurably(this.paths.certificatePath, pair.certificatePem, CERTIFICATE_FILE_MODE);
  }

  async current(): Promise<CredentialPair> {
    try {
      return {
        certificatePem: await readFile(this.paths.certificatePath, 'utf8'),
        privateKeyPem: await readFile(this.paths.privateKeyPath, 'utf8'),
      };
    } catch (error) {
      throw new CredentialStoreError(
        `cannot read the device credentials (${this.paths.certificatePath}, ${this.paths.privateKeyPath})`,
        { cause: error },
      );
    }
  }

  /** The active pair if it matches; else the previous pair, restored; else a clear failure. */
  private async recoverActive(notes: string[]): Promise<CredentialPair> {
    const certificatePem = await readOptional(this.paths.certificatePath);
    const privateKeyPem = await readOptional(this.paths.privateKeyPath);
    if (
      certificatePem !== undefined &&
      privateKeyPem !== undefined &&
      keyMatchesCertificate(privateKeyPem, certificatePem)
    ) {
      return { certificatePem, privateKeyPem };
    }
    const previousKey = await readOptional(this.file(PREVIOUS_KEY_FILE));
    const previousCertificate = await readOptional(this.file(PREVIOUS_CERTIFICATE_FILE));
    if (
      previousKey !== undefined &&
      previousCertificate !== undefined &&
      keyMatchesCertificate(previousKey, previousCertificate)
    ) {
      const pair = { certificatePem: previousCertificate, privateKeyPem: previousKey };
      await this.installActive(pair);
      notes.push('the active key and certificate did not match; restored the previous pair');
      return pair;
    }
    if (certificatePem === undefined || privateKeyPem === undefined) {
      throw new CredentialStoreError(
        `missing device credentials: ${certificatePem === undefined ? this.paths.certificatePath : this.paths.privateKeyPath} does not exist`,
      );
    }
    throw new CredentialMismatchError(
      `${this.paths.privateKeyPath} does not match the certificate in ${this.paths.certificatePath}`,
    );
  }

  private async removeOrphans(pending: PendingRotation | undefined): Promise<void> {
    if (pending === undefined) {
      await removeDurably(this.file(PENDING_KEY_FILE));
      await removeDurably(this.file(PENDING_CERTIFICATE_FILE));
    } else if (pending.phase === 'key-pending') {
      await removeDurably(this.file(PENDING_CERTIFICATE_FILE));
    }
    await removeDurably(this.file(PREVIOUS_KEY_FILE));
    await removeDurably(this.file(PREVIOUS_CERTIFICATE_FILE));
  }

  private async readJournal(notes: string[]): Promise<Journal> {
    const text = await readOptional(this.file(JOURNAL_FILE));
    if (text === undefined) return { version: 1 };
    try {
      return Journal.parse(JSON.parse(text));
    } catch (error) {
      // Written by rename, the journal is never torn; a bad one was edited by hand. The active
      // pair is still verified below, so starting from "no rotation" is safe.
      const reason = new JournalCorruptError(`${this.file(JOURNAL_FILE)} is not a valid journal`, {
        cause: error,
      });
      notes.push(`${reason.message}; ignored it`);
      return { version: 1 };
    }
  }

  private async writeJournal(journal: Journal): Promise<void> {
    await writeFileDurably(this.file(JOURNAL_FILE), `${JSON.stringify(journal, null, 2)}\n`, 0o600);
    this.journal = journal;
  }
}

function isPrivateKeyPem(text: string): boolean {
  return /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----/.test(text);
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new CredentialStoreError(`cannot read ${path}`, { cause: error });
  }
}
