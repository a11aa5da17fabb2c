import { z } from 'zod';
import { THING_NAME_PATTERN } from './protocol.ts';

/** An AWS IoT certificate id: the SHA-256 of the certificate's DER, in lower-case hex. */
export const CertificateId = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'a certificate id is 64 lower-case hex digits');
export const ThingName = z.string().regex(THING_NAME_PATTERN, 'not a valid thing name');

/** What StartExecution is given (by the audit fan-out, the CLI or an operator). */
export const RotationInput = z
  .object({
    thingName: ThingName,
    oldCertificateId: CertificateId,
    /** The Device Defender audit task that found the certificate; `manual` when absent. */
    campaign: z.string().min(1).max(128).optional(),
  })
  .strict();
export type RotationInput = z.infer<typeof RotationInput>;

/** What a successful execution returns. */
export const RotationOutput = z.object({
  thingName: ThingName,
  rotationId: z.string().uuid(),
  oldCertificateId: CertificateId,
  newCertificateId: CertificateId,
  status: z.literal('SUCCEEDED'),
});
export type RotationOutput = z.infer<typeof RotationOutput>;

/** The task states and what each one's Lambda receives (built by the ASL's `Arguments`). */
export const RequestCsrInput = z.object({
  taskToken: z.string().min(1),
  thingName: ThingName,
  executionArn: z.string().min(1),
  rotationId: z.string().uuid(),
  attempt: z.number().int().min(1),
  maxAttempts: z.number().int().min(1),
  /** Why the previous attempt ended (a CSR rejection, crt_err, ...), told to the device. */
  previousError: z.string().nullable(),
});
export type RequestCsrInput = z.infer<typeof RequestCsrInput>;

/** SendTaskSuccess output of a csr_res: the RequestCsr state's result. */
export const CsrReceived = z.object({ rotationId: z.string().uuid(), csr: z.string().min(1) });
export type CsrReceived = z.infer<typeof CsrReceived>;

/**
 * The IssueAndDeliver state's payload: one callback task validates the CSR, issues the certificate
 * and sends it (crt_res), then waits for the proven crt_ack under `taskToken`.
 */
export const IssueCertificateInput = z.object({
  taskToken: z.string().min(1),
  thingName: ThingName,
  executionArn: z.string().min(1),
  rotationId: z.string().uuid(),
  oldCertificateId: CertificateId,
  csr: z.string().min(1),
});
export type IssueCertificateInput = z.infer<typeof IssueCertificateInput>;

/** What the issuance part settles on before the certificate is sent (and what the function returns). */
export const IssueCertificateOutput = z.object({
  certificateId: CertificateId,
  certificateArn: z.string().min(1),
});
export type IssueCertificateOutput = z.infer<typeof IssueCertificateOutput>;

/** SendTaskSuccess output of a proven crt_ack: the IssueAndDeliver state's result. */
export const CertificateProven = z.object({
  rotationId: z.string().uuid(),
  certificateId: CertificateId,
  provenAt: z.string(),
});
export type CertificateProven = z.infer<typeof CertificateProven>;

export const RevokeCertificateInput = z.object({
  thingName: ThingName,
  executionArn: z.string().min(1),
  rotationId: z.string().uuid(),
  /** Why the attempt failed (the error name that led here). */
  reason: z.string().nullable(),
});
export type RevokeCertificateInput = z.infer<typeof RevokeCertificateInput>;

export const RetireCertificateInput = z.object({
  thingName: ThingName,
  executionArn: z.string().min(1),
  rotationId: z.string().uuid(),
  oldCertificateId: CertificateId,
  newCertificateId: CertificateId,
  /** How long the completed record stays (the `RecordRetentionSeconds` setting): retire completes it. */
  recordRetentionSeconds: z.number().int().positive(),
});
export type RetireCertificateInput = z.infer<typeof RetireCertificateInput>;

export const StepDone = z.object({ certificateId: CertificateId.nullable(), action: z.string() });
export type StepDone = z.infer<typeof StepDone>;
