import { z } from 'zod';

/**
 * Where a device keeps its certificate and key, and the journal that makes a rotation survive a power
 * loss at any point. The active pair is never replaced until the new pair is proven (`commit`), and
 * `open` always hands back an active pair whose key matches its certificate.
 */

export interface CredentialPair {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/**
 * key-pending: a new key exists and its CSR was (or is about to be) sent.
 * cert-received: the cloud delivered a certificate for the pending key; it is not proven yet, and an
 *   acknowledgement may already have reached the cloud, so neither pair may be thrown away blindly.
 * committing: the new pair is proven; the swap must be rolled forward.
 */
export const ROTATION_PHASES = ['key-pending', 'cert-received', 'committing'] as const;
export type RotationPhase = (typeof ROTATION_PHASES)[number];

export const PendingRotation = z
  .object({
    phase: z.enum(ROTATION_PHASES),
    rotationId: z.string().min(1).max(128),
    /** The CSR sent for the pending key, re-sent as is when the same request repeats. */
    csrPem: z.string().min(1),
    certificateId: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  })
  .strict();
export type PendingRotation = z.infer<typeof PendingRotation>;

export const CompletedRotation = z
  .object({ rotationId: z.string().min(1).max(128), certificateId: z.string().regex(/^[0-9a-f]{64}$/) })
  .strict();
export type CompletedRotation = z.infer<typeof CompletedRotation>;

export const Journal = z
  .object({
    version: z.literal(1),
    pending: PendingRotation.optional(),
    completed: CompletedRotation.optional(),
  })
  .strict();
export type Journal = z.infer<typeof Journal>;

/** The state `open` recovers: the working pair, and a rotation still under way with its material. */
export interface StoredState {
  readonly active: CredentialPair;
  readonly pending?: {
    readonly rotation: PendingRotation;
    readonly privateKeyPem: string;
    readonly certificatePem?: string;
  };
  readonly completed?: CompletedRotation;
  /** What recovery had to do, for the agent's event log (never key material). */
  readonly recoveryNotes: readonly string[];
}

export interface CredentialStore {
  /** Finishes or rolls back an interrupted rotation and returns a verified, matching active pair. */
  open(): Promise<StoredState>;
  /** Records a new key and its CSR for a rotation, replacing any earlier pending rotation. */
  savePendingKey(rotationId: string, privateKeyPem: string, csrPem: string): Promise<void>;
  /** Records the delivered certificate for the pending key (phase cert-received). */
  savePendingCertificate(rotationId: string, certificatePem: string, certificateId: string): Promise<void>;
  /** Makes the proven pending pair the active one; returns it. */
  commit(rotationId: string): Promise<CredentialPair>;
  /** Drops the pending key and certificate; the active pair stays. */
  discardPending(): Promise<void>;
  /** The active pair as stored now (read back from disk for a file store). */
  current(): Promise<CredentialPair>;
}
