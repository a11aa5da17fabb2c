import type {
  CompletedRotation,
  CredentialPair,
  CredentialStore,
  PendingRotation,
  StoredState,
} from './credential-store.ts';
import { keyMatchesCertificate } from './crypto.ts';
import { CredentialMismatchError, CredentialStoreError } from './errors.ts';

/**
 * The credential store of a simulated device: the same rotation states as the file store, kept in
 * memory, so thousands of devices fit in one process.
 */
export class MemoryCredentialStore implements CredentialStore {
  private active: CredentialPair;
  private pending: PendingRotation | undefined;
  private pendingKey: string | undefined;
  private pendingCertificate: string | undefined;
  private completed: CompletedRotation | undefined;

  constructor(initial: CredentialPair) {
    this.active = initial;
  }

  async open(): Promise<StoredState> {
    if (!keyMatchesCertificate(this.active.privateKeyPem, this.active.certificatePem)) {
      throw new CredentialMismatchError(
        'the simulated device was given a key that does not match its certificate',
      );
    }
    const pending = this.pending;
    const pendingKey = this.pendingKey;
    return {
      active: this.active,
      ...(pending !== undefined && pendingKey !== undefined
        ? {
            pending: {
              rotation: pending,
              privateKeyPem: pendingKey,
              ...(this.pendingCertificate !== undefined ? { certificatePem: this.pendingCertificate } : {}),
            },
          }
        : {}),
      ...(this.completed !== undefined ? { completed: this.completed } : {}),
      recoveryNotes: [],
    };
  }

  async savePendingKey(rotationId: string, privateKeyPem: string, csrPem: string): Promise<void> {
    this.pending = { phase: 'key-pending', rotationId, csrPem };
    this.pendingKey = privateKeyPem;
    this.pendingCertificate = undefined;
  }

  async savePendingCertificate(
    rotationId: string,
    certificatePem: string,
    certificateId: string,
  ): Promise<void> {
    const pending = this.requirePending(rotationId);
    this.pending = { ...pending, phase: 'cert-received', certificateId };
    this.pendingCertificate = certificatePem;
  }

  async commit(rotationId: string): Promise<CredentialPair> {
    const pending = this.requirePending(rotationId);
    const privateKeyPem = this.pendingKey;
    const certificatePem = this.pendingCertificate;
    if (privateKeyPem === undefined || certificatePem === undefined || pending.certificateId === undefined) {
      throw new CredentialStoreError(`rotation ${rotationId} has no certificate to commit`);
    }
    if (!keyMatchesCertificate(privateKeyPem, certificatePem)) {
      throw new CredentialMismatchError(`rotation ${rotationId}: the pending key and certificate differ`);
    }
    this.active = { privateKeyPem, certificatePem };
    this.completed = { rotationId, certificateId: pending.certificateId };
    await this.discardPending();
    return this.active;
  }

  async discardPending(): Promise<void> {
    this.pending = undefined;
    this.pendingKey = undefined;
    this.pendingCertificate = undefined;
  }

  async current(): Promise<CredentialPair> {
    return this.active;
  }

  private requirePending(rotationId: string): PendingRotation {
    if (this.pending === undefined || this.pending.rotationId !== rotationId) {
      throw new CredentialStoreError(`no pending rotation ${rotationId}`);
    }
    return this.pending;
  }
}
