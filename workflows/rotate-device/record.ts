import { z } from 'zod';
import { ROTATION_PHASES, ROTATION_STATUSES } from './table.ts';

/**
 * The policies the issue step copied from the old certificate to the new one, in the attempt
 * `rotationId`. Retire detaches exactly these from the old certificate (and revoke from the new one)
 * without listing them again; a policy attached since then makes DeleteCertificate conflict, and
 * only then are the policies listed.
 */
export const CopiedPolicies = z.object({
  rotationId: z.string(),
  /** The ARN of the certificate they were copied from (the old one). */
  fromCertificateArn: z.string(),
  policyNames: z.array(z.string()),
});
export type CopiedPolicies = z.infer<typeof CopiedPolicies>;

/**
 * The rotation record, one item per thing, as stored (see workflows/rotate-device/table.ts). Every
 * change is a conditional write of workflows/rotate-device/record-transitions.ts, fenced by the
 * execution ARN and, past the claim, the rotationId, so a superseded execution or a late duplicate
 * never overwrites a newer rotation. One item per thing: no write needs a transaction.
 */
export const RotationRecord = z.object({
  thingName: z.string(),
  status: z.enum(ROTATION_STATUSES),
  phase: z.enum(ROTATION_PHASES),
  executionArn: z.string(),
  oldCertificateId: z.string(),
  campaign: z.string().optional(),
  attempt: z.number().optional(),
  rotationId: z.string().optional(),
  /**
   * The callback's task token: cloud side only, never in a message or a log line. It stays after a
   * reply was accepted, until the next wait overwrites it, so an interrupted answer can be sent again.
   */
  taskToken: z.string().optional(),
  /** `<rotationId>/<kind>` of the reply accepted for the current wait (device-reply's idempotency mark). */
  acceptedReply: z.string().optional(),
  /**
   * The kinds of reply this execution accepted without a rotationId (the blog-compatible mode,
   * ACCEPT_REPLIES_WITHOUT_ROTATION_ID), written by the write that accepts such a reply. It names its
   * execution because a later rotation's claim leaves it in the record.
   */
  acceptedWithoutRotationId: z.object({ executionArn: z.string(), kinds: z.array(z.string()) }).optional(),
  /** The rotationId whose CSR wait request-csr parked in its campaign (device-reply unparks only then). */
  campaignParkedRotationId: z.string().optional(),
  /** `<rotationId>/<attempt>` of a csr_req whose publish failed: its retry is no repeat after a timeout. */
  csrRequestUnsent: z.string().optional(),
  issuingRotationId: z.string().optional(),
  issuingKeyFingerprint: z.string().optional(),
  issuingStartedAt: z.string().optional(),
  newCertificateId: z.string().optional(),
  newCertificateArn: z.string().optional(),
  newCertificatePem: z.string().optional(),
  newCertificateRotationId: z.string().optional(),
  copiedPolicies: CopiedPolicies.optional(),
  provenAt: z.string().optional(),
  provenCertificateId: z.string().optional(),
  revokedCertificateIds: z.array(z.string()).optional(),
  oldCertificateRetiredAt: z.string().optional(),
  oldCertificateDeleteAfter: z.string().optional(),
  startedAt: z.string().optional(),
  /**
   * When the record entered its current status (ISO-8601 UTC): the byStatus index's sort key, set by
   * the writes that change `status` and by no other. Records written before it existed lack it.
   */
  statusSince: z.string().optional(),
  updatedAt: z.string().optional(),
  completedAt: z.string().optional(),
  escalatedAt: z.string().optional(),
  expiresAt: z.number().optional(),
  lastError: z.string().optional(),
});
export type RotationRecord = z.infer<typeof RotationRecord>;

export class CorruptRecordError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CorruptRecordError';
  }
}

/** A stored item (unmarshalled) as the thing's rotation record; CorruptRecordError says what does not fit. */
export function parseRotationRecord(thingName: string, item: unknown): RotationRecord {
  const parsed = RotationRecord.safeParse(item);
  if (!parsed.success) {
    throw new CorruptRecordError(`rotation record of ${thingName} is malformed: ${parsed.error.message}`);
  }
  return parsed.data;
}

/** What fences a rotation's writes: the thing, its execution and the attempt (rotationId). */
export interface Fence {
  readonly thingName: string;
  readonly executionArn: string;
  readonly rotationId: string;
}

/** A step's fence, taken from its input: the thing, the execution and the rotationId, nothing else. */
export const fenceOf = (input: Fence): Fence => ({
  thingName: input.thingName,
  executionArn: input.executionArn,
  rotationId: input.rotationId,
});

/** request-csr's name for one request: the rotationId and the certificate attempt. */
export const csrRequestMark = (rotationId: string, attempt: number): string => `${rotationId}/${attempt}`;
