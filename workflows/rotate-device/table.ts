/**
 * The rotation table: one item per thing, holding that thing's current (or last) rotation.
 * Attribute names are the contract between the state machine (claim, complete), the functions and
 * the CLI; `functions/shared/rotation-record.ts` is the one module that reads and writes items.
 */

export const ROTATION_TABLE = {
  /** The ASL placeholder that receives the table name. */
  namePlaceholder: 'RotationTableName',
  partitionKey: { name: 'thingName', type: 'S' },
  billingMode: 'PAY_PER_REQUEST',
  /**
   * To list rotations by status, in the order they entered it. Its sort key `statusSince` (ISO-8601
   * UTC) is set only by the writes that change `status`, and it projects only `campaign` (the CLI's
   * filter): every other write of a rotation leaves the index's attributes as they are, so DynamoDB
   * writes nothing to the index for it. A rotation writes the index when the claim puts its entry and
   * when it ends (the old entry deleted, the new one put): 3 index writes of one unit each (an entry is
   * ~100 bytes), against two full-item writes for each of its ~8 record writes with `updatedAt` as
   * the sort key and ALL projected. The CLI reads the keys here and the records with BatchGetItem.
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
 * Writes DynamoDB makes to the byStatus index in a rotation of a thing without a record (the
 * benchmark's fleets): a put when the claim sets IN_PROGRESS, a delete and a put when the rotation
 * ends. A thing whose previous record is still in the table costs one more (the claim moves its
 * entry). Each is one write unit: an entry holds the keys and `campaign` only. The test of the
 * record's writes counts them.
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
