import { auditTaskIdOf, campaignOfAudit } from '../campaigns/campaign-id.ts';
import { NotFoundError } from '../errors.ts';
import {
  type AuditTaskSummary,
  certificateFindings,
  describeAuditTask,
  latestAuditTask,
  thingsOfPrincipal,
} from '../iot/audit.ts';
import { certificateState } from '../iot/certificate-state.ts';
import type { Target } from '../target/target.ts';
import type { RotationRequest } from './start.ts';

export interface ExpiringTargets {
  readonly task: AuditTaskSummary;
  readonly requests: RotationRequest[];
  /** Findings left out, with why (certificate gone or not ACTIVE, attached to no thing). */
  readonly skipped: { certificateId: string; reason: string }[];
}

/** The audit task named, or the latest completed one. */
export async function auditTask(
  target: Target,
  taskId: string | undefined,
  now: number,
): Promise<AuditTaskSummary> {
  if (taskId === undefined) return latestAuditTask(target.iot, now);
  const task = await describeAuditTask(target.iot, auditTaskIdOf(taskId) ?? taskId);
  if (!task) throw new NotFoundError(`there is no Device Defender audit task ${taskId}`);
  return task;
}

/**
 * What `rotate --all-expiring` starts, the way the audit fan-out does it: every ACTIVE certificate
 * an audit found non-compliant, for each thing it is attached to, with the task id as campaign.
 */
export async function expiringTargets(
  target: Target,
  taskId: string | undefined,
  now: number,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<ExpiringTargets> {
  const task = await auditTask(target, taskId, now);
  const findings = await certificateFindings(target.iot, task.taskId);
  const unique = [...new Set(findings.map((f) => f.certificateId))];
  const requests: RotationRequest[] = [];
  const skipped: { certificateId: string; reason: string }[] = [];
  for (const [index, certificateId] of unique.entries()) {
    onProgress(index + 1, unique.length);
    const { arn, status } = (await certificateState(target.iot, certificateId)) ?? {};
    if (arn === undefined) {
      skipped.push({ certificateId, reason: 'certificate no longer exists' });
      continue;
    }
    if (status !== 'ACTIVE') {
      skipped.push({ certificateId, reason: `certificate is ${status ?? 'in an unknown state'}` });
      continue;
    }
    const things = await thingsOfPrincipal(target.iot, arn);
    if (things.length === 0) skipped.push({ certificateId, reason: 'attached to no thing' });
    for (const thingName of things)
      requests.push({ thingName, oldCertificateId: certificateId, campaign: campaignOfAudit(task.taskId) });
  }
  return { task, requests, skipped };
}
