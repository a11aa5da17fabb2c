import type { AuditTask } from './audit-model.ts';

/** The SNS message Device Defender sends when an audit task completes. */
export interface AuditNotification {
  readonly accountId: string;
  readonly auditEventType: 'AUDIT_TASK';
  readonly taskId: string;
  readonly taskStatus: AuditTask['taskStatus'];
  readonly taskType: AuditTask['taskType'];
  readonly scheduledAuditName?: string;
  readonly failedChecksCount: number;
  readonly canceledChecksCount: number;
  readonly nonCompliantChecksCount: number;
  readonly compliantChecksCount: number;
  readonly totalChecksCount: number;
  readonly taskStartTime: number;
  readonly auditDetails: readonly {
    readonly checkName: string;
    readonly checkRunStatus: string;
    readonly nonCompliantResourcesCount: number;
    readonly totalResourcesCount: number;
    readonly suppressedNonCompliantResourcesCount: number;
  }[];
}

/** Publishes an audit notification to the target with the role the configuration gave for it. */
export type AuditNotifier = (
  targetArn: string,
  message: string,
  roleArn: string | undefined,
) => void | Promise<void>;

/** The notification of a completed task, in AWS's shape. */
export function auditNotification(task: AuditTask, accountId: string): AuditNotification {
  const details = Object.entries(task.checks).map(([checkName, check]) => ({
    checkName,
    checkRunStatus: check.checkRunStatus,
    nonCompliantResourcesCount: check.nonCompliantResourcesCount,
    totalResourcesCount: check.totalResourcesCount,
    suppressedNonCompliantResourcesCount: 0,
  }));
  const count = (status: string) => details.filter((d) => d.checkRunStatus === status).length;
  return {
    accountId: accountId,
    auditEventType: 'AUDIT_TASK',
    taskId: task.taskId,
    taskStatus: task.taskStatus,
    taskType: task.taskType,
    ...(task.scheduledAuditName ? { scheduledAuditName: task.scheduledAuditName } : {}),
    failedChecksCount: count('FAILED'),
    canceledChecksCount: count('CANCELED'),
    nonCompliantChecksCount: count('COMPLETED_NON_COMPLIANT'),
    compliantChecksCount: count('COMPLETED_COMPLIANT'),
    totalChecksCount: details.length,
    taskStartTime: task.taskStartTime,
    auditDetails: details,
  };
}
