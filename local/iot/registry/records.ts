/**
 * What the registry stores, with the schemas that validate it when it is read back from disk.
 */
import { z } from 'zod';

export const certificateStatusSchema = z.enum([
  'ACTIVE',
  'INACTIVE',
  'REVOKED',
  'PENDING_TRANSFER',
  'REGISTER_INACTIVE',
  'PENDING_ACTIVATION',
]);

export const thingRecordSchema = z.object({
  thingName: z.string(),
  thingId: z.string(),
  thingArn: z.string(),
  thingTypeName: z.string().optional(),
  attributes: z.record(z.string(), z.string()),
  version: z.number().int(),
  createdAt: z.number(),
});
export type ThingRecord = z.infer<typeof thingRecordSchema>;

// What a device certificate and a CA certificate both hold.
const certificateFields = {
  certificateId: z.string(),
  certificateArn: z.string(),
  certificatePem: z.string(),
  certificateMode: z.enum(['DEFAULT', 'SNI_ONLY']),
  creationDate: z.number(),
  lastModifiedDate: z.number(),
  notBefore: z.number(),
  notAfter: z.number(),
  customerVersion: z.number().int(),
  generationId: z.string(),
};

export const certificateRecordSchema = z.object({
  ...certificateFields,
  status: certificateStatusSchema,
  caCertificateId: z.string().optional(),
  subjectCommonName: z.string().optional(),
});
export type CertificateRecord = z.infer<typeof certificateRecordSchema>;

export const caCertificateRecordSchema = z.object({
  ...certificateFields,
  status: z.enum(['ACTIVE', 'INACTIVE']),
  autoRegistrationStatus: z.enum(['ENABLE', 'DISABLE']),
});
export type CaCertificateRecord = z.infer<typeof caCertificateRecordSchema>;

export const policyRecordSchema = z.object({
  policyName: z.string(),
  policyArn: z.string(),
  policyDocument: z.string(),
  defaultVersionId: z.string(),
  creationDate: z.number(),
  lastModifiedDate: z.number(),
  generationId: z.string(),
});
export type PolicyRecord = z.infer<typeof policyRecordSchema>;

/** Table names in the entity log. Link tables are keyed `a\u0000b` with value `true`. */
export const TABLES = {
  things: 'things',
  certificates: 'certificates',
  caCertificates: 'caCertificates',
  policies: 'policies',
  thingPrincipals: 'thingPrincipals',
  policyTargets: 'policyTargets',
  settings: 'settings',
} as const;
