import { z } from 'zod';

/** The audit checks the local Device Defender runs: the two that concern device certificates. */
export const EXPIRING_CHECK = 'DEVICE_CERTIFICATE_EXPIRING_CHECK';
export const AGE_CHECK = 'DEVICE_CERTIFICATE_AGE_CHECK';
export const SUPPORTED_CHECKS = [EXPIRING_CHECK, AGE_CHECK] as const;
export type CheckName = (typeof SUPPORTED_CHECKS)[number];

export function isSupportedCheck(name: string): name is CheckName {
  return (SUPPORTED_CHECKS as readonly string[]).includes(name);
}

/** Configuration keys and AWS's defaults and bounds for the thresholds, in days. */
export const THRESHOLDS: Record<CheckName, { key: string; default: number; min: number; max: number }> = {
  [EXPIRING_CHECK]: { key: 'CERT_EXPIRATION_THRESHOLD_IN_DAYS', default: 30, min: 1, max: 3652 },
  [AGE_CHECK]: { key: 'CERT_AGE_THRESHOLD_IN_DAYS', default: 365, min: 30, max: 3652 },
};

export const CheckConfigurationSchema = z.object({
  enabled: z.boolean().optional(),
  configuration: z.record(z.string(), z.string()).optional(),
});

export const NotificationTargetSchema = z.object({
  targetArn: z.string().optional(),
  roleArn: z.string().optional(),
  enabled: z.boolean().optional(),
});

export const UpdateConfigurationSchema = z.object({
  roleArn: z.string().optional(),
  auditNotificationTargetConfigurations: z.record(z.string(), NotificationTargetSchema).optional(),
  auditCheckConfigurations: z.record(z.string(), CheckConfigurationSchema).optional(),
});
export type UpdateConfiguration = z.infer<typeof UpdateConfigurationSchema>;

export const AccountConfigurationSchema = z.object({
  roleArn: z.string().optional(),
  notification: z
    .object({ targetArn: z.string(), roleArn: z.string().optional(), enabled: z.boolean() })
    .optional(),
  checks: z.record(
    z.string(),
    z.object({ enabled: z.boolean(), configuration: z.record(z.string(), z.string()) }),
  ),
});
export type AccountConfiguration = z.infer<typeof AccountConfigurationSchema>;

export const FindingSchema = z.object({
  findingId: z.string(),
  taskId: z.string(),
  checkName: z.string(),
  taskStartTime: z.number(),
  findingTime: z.number(),
  severity: z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']),
  certificateId: z.string(),
  certificateArn: z.string(),
  reasonForNonCompliance: z.string(),
  reasonForNonComplianceCode: z.string(),
});
export type Finding = z.infer<typeof FindingSchema>;

export const CheckResultSchema = z.object({
  checkRunStatus: z.enum(['IN_PROGRESS', 'COMPLETED_COMPLIANT', 'COMPLETED_NON_COMPLIANT', 'FAILED']),
  totalResourcesCount: z.number(),
  nonCompliantResourcesCount: z.number(),
});

export const TaskSchema = z.object({
  taskId: z.string(),
  taskType: z.enum(['ON_DEMAND_AUDIT_TASK', 'SCHEDULED_AUDIT_TASK']),
  taskStatus: z.enum(['IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELED']),
  taskStartTime: z.number(),
  scheduledAuditName: z.string().optional(),
  checks: z.record(z.string(), CheckResultSchema),
});
export type AuditTask = z.infer<typeof TaskSchema>;

export const FREQUENCIES = ['DAILY', 'WEEKLY', 'BIWEEKLY', 'MONTHLY'] as const;
export const DAYS_OF_WEEK = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

export const ScheduledAuditSchema = z.object({
  scheduledAuditName: z.string().regex(/^[a-zA-Z0-9_-]{1,128}$/),
  frequency: z.enum(FREQUENCIES),
  dayOfWeek: z.enum(DAYS_OF_WEEK).optional(),
  dayOfMonth: z
    .string()
    .regex(/^([1-9]|[12][0-9]|3[01])$|^LAST$/)
    .optional(),
  targetCheckNames: z.array(z.string()).min(1),
  createdAt: z.number(),
});
export type ScheduledAudit = z.infer<typeof ScheduledAuditSchema>;

export const AuditStateSchema = z.object({
  configuration: AccountConfigurationSchema.optional(),
  tasks: z.array(TaskSchema),
  scheduledAudits: z.array(ScheduledAuditSchema),
});
export type AuditState = z.infer<typeof AuditStateSchema>;
