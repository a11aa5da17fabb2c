import { z } from 'zod';
import { CertificateId, ThingName } from '../rotate-device/types.ts';

/** A campaign id: what the rotation record's `campaign` attribute and execution input carry. */
export const CampaignId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,80}$/, 'a campaign id is 1-80 letters, digits, _ or -');

/** Campaign ids of audit campaigns: one per audit task, so a redelivered notification starts nothing new. */
export const auditCampaignId = (taskId: string): string => `audit-${taskId}`;

export const PacingSettingsSchema = z
  .object({
    startsPerSecond: z.number().positive(),
    maxInFlight: z.number().int().min(1),
    failureRateThreshold: z.number().gt(0).max(1),
    minFinishedForFailureRate: z.number().int().min(1),
  })
  .strict();

/** Where a campaign's rotations come from. */
export const CampaignSource = z.discriminatedUnion('kind', [
  /** The non-compliant certificates of a Device Defender audit task. */
  z
    .object({
      kind: z.literal('audit'),
      taskId: z.string().regex(/^[a-zA-Z0-9-]{1,40}$/),
      checkNames: z.array(z.string().min(1)).min(1),
    })
    .strict(),
  /** A list given by an operator (`recert rotate --all-expiring`, a file of things). */
  z
    .object({
      kind: z.literal('manual'),
      rotations: z
        .array(z.object({ thingName: ThingName, oldCertificateId: CertificateId }).strict())
        .max(5_000),
    })
    .strict(),
]);
export type CampaignSource = z.infer<typeof CampaignSource>;

/** The campaign state machine's input. */
export const CampaignInput = z
  .object({
    campaignId: CampaignId,
    source: CampaignSource,
    pacing: PacingSettingsSchema,
    /**
     * 0 (or absent) for the execution that started the campaign; each hand-over to a fresh execution
     * (before the history grows long) starts the next generation, named `<campaignId>--<generation>`.
     */
    generation: z.number().int().min(0).optional(),
  })
  .strict();
export type CampaignInput = z.infer<typeof CampaignInput>;

/** One queued rotation: a certificate to rotate, with its thing when the source knew it. */
export const QueuedRotation = z.object({
  position: z.number().int().min(0),
  oldCertificateId: CertificateId,
  thingName: ThingName.optional(),
  /** The audit finding that put it in the queue. */
  findingId: z.string().optional(),
});
export type QueuedRotation = z.infer<typeof QueuedRotation>;
