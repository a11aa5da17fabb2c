/**
 * The rotation table: one item per thing, its current (or last) rotation; attribute names are the
 * contract between the state machine, the functions and the CLI.
 */

export const ROTATION_TABLE = {
  /** The ASL placeholder that receives the table name. */
  namePlaceholder: 'RotationTableName',
  partitionKey: { name: 'thingName', type: 'S' },
  billingMode: 'PAY_PER_REQUEST',
  /**
   * Rotations by status, in the order they entered it; it holds the keys and `campaign` only, so a write
   * that leaves `status` alone writes nothing to it (workflows/rotate-device/README.md).
   */
  statusIndex: {
    name: 'byStatus',
    partitionKey: { name: 'status', type: 'S' },
    sortKey: { name: 'statusSince', type: 'S' },
    projection: { type: 'INCLUDE', nonKeyAttributes: ['campaign'] },
  },
  /** Epoch seconds; set when a rotation ends, so finished records expire. */
  ttlAttribute: 'expiresAt',
} as const;

/**
 * Index writes per rotation of a thing without a record: a put at the claim, a delete and a put at the
 * end (one more when a previous record's entry moves); the record's write test counts them.
 */
export const STATUS_INDEX_WRITES_PER_ROTATION = 3;

/**
 * ABANDONED: an operator stopped the rotation (`recert abandon`) and revoked the certificate it had
 * issued; the thing keeps its old certificate and may be rotated again.
 */
export const ROTATION_STATUSES = [
  'IN_PROGRESS',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'ABANDONED',
] as const;
export type RotationStatus = (typeof ROTATION_STATUSES)[number];

/** Where an in-progress rotation stands. */
export const ROTATION_PHASES = [
  /** The thing was claimed by the execution. */
  'CLAIMED',
  /** csr_req sent, task token stored. */
  'AWAITING_CSR',
  /** The device's csr_res passed invariant 3; the token was used. */
  'CSR_RECEIVED',
  /** The issue step wrote its marker: a certificate may be being created. */
  'ISSUING',
  /**
   * The new certificate is recorded (ACTIVE), with the old one's policies it is to get; the issue
   * step attaches those and the thing right after, and a retry of the step finishes them.
   */
  'ISSUED',
  /** crt_res sent, task token stored. */
  'AWAITING_ACK',
  /** crt_ack arrived over a connection authenticated by the new certificate. */
  'PROVEN',
  /** The device reported crt_err for the new certificate. */
  'DEVICE_ERROR',
  /** The new certificate of a failed attempt was removed. */
  'REVOKED',
  /**
   * The old certificate was removed (or deactivated for its grace period), in records written before
   * the retire step completed the rotation itself; it now goes from PROVEN to DONE in one write.
   */
  'RETIRED',
  /** The rotation ended: SUCCEEDED, with the old certificate retired (the retire step's last write). */
  'DONE',
] as const;
export type RotationPhase = (typeof ROTATION_PHASES)[number];
