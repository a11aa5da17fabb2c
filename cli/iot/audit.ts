import {
  DescribeAuditTaskCommand,
  type IoTClient,
  ListAuditFindingsCommand,
  ListAuditTasksCommand,
  ListPrincipalThingsCommand,
} from '@aws-sdk/client-iot';
import { isNamed, NotFoundError } from '../errors.ts';

/** The Device Defender checks whose findings recert rotates. */
export const ROTATION_CHECKS = ['DEVICE_CERTIFICATE_EXPIRING_CHECK', 'DEVICE_CERTIFICATE_AGE_CHECK'] as const;

/** How far back Device Defender keeps audit results. */
const AUDIT_RETENTION_MS = 90 * 86_400_000;

export interface AuditTaskSummary {
  readonly taskId: string;
  readonly taskType: string | undefined;
  readonly taskStatus: string | undefined;
  readonly taskStartTime: string | undefined;
}

export interface CertificateFinding {
  readonly certificateId: string;
  readonly checkName: string;
  readonly severity: string | undefined;
  readonly reason: string | undefined;
}

/** The most recent COMPLETED audit task, or NotFoundError when there is none in the retention window. */
export async function latestAuditTask(iot: IoTClient, now: number): Promise<AuditTaskSummary> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const out = await iot.send(
      new ListAuditTasksCommand({
        startTime: new Date(now - AUDIT_RETENTION_MS),
        endTime: new Date(now),
        taskStatus: 'COMPLETED',
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const task of out.tasks ?? []) if (task.taskId) ids.push(task.taskId);
    nextToken = out.nextToken;
  } while (nextToken !== undefined);
  let latest: AuditTaskSummary | undefined;
  for (const taskId of ids) {
    const task = await describeAuditTask(iot, taskId);
    if (task && (latest === undefined || (task.taskStartTime ?? '') > (latest.taskStartTime ?? '')))
      latest = task;
  }
  if (!latest) {
    throw new NotFoundError('no completed Device Defender audit task in the last 90 days', {
      hint: 'run one (aws iot start-on-demand-audit-task) or name the things to rotate',
    });
  }
  return latest;
}

/** One audit task, or undefined when Device Defender has no task of that id. */
export async function describeAuditTask(
  iot: IoTClient,
  taskId: string,
): Promise<AuditTaskSummary | undefined> {
  try {
    const out = await iot.send(new DescribeAuditTaskCommand({ taskId }));
    return {
      taskId,
      taskType: out.taskType,
      taskStatus: out.taskStatus,
      taskStartTime: out.taskStartTime?.toISOString(),
    };
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException', 'InvalidRequestException')) return undefined;
    throw error;
  }
}

/** The non-compliant device certificates a task found, for the checks recert rotates. */
export async function certificateFindings(iot: IoTClient, taskId: string): Promise<CertificateFinding[]> {
  const findings: CertificateFinding[] = [];
  for (const checkName of ROTATION_CHECKS) {
    let nextToken: string | undefined;
    do {
      const out = await iot.send(
        new ListAuditFindingsCommand({
          taskId,
          checkName,
          maxResults: 250,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      for (const finding of out.findings ?? []) {
        const certificateId = finding.nonCompliantResource?.resourceIdentifier?.deviceCertificateId;
        // Suppressed findings are ones the account chose to accept: the fan-out skips them too.
        if (certificateId === undefined || finding.isSuppressed === true) continue;
        findings.push({
          certificateId,
          checkName,
          severity: finding.severity,
          reason: finding.reasonForNonCompliance,
        });
      }
      nextToken = out.nextToken;
    } while (nextToken !== undefined);
  }
  return findings;
}

/** The things a certificate is attached to. */
export async function thingsOfPrincipal(iot: IoTClient, principal: string): Promise<string[]> {
  const things: string[] = [];
  let nextToken: string | undefined;
  do {
    const out = await iot.send(
      new ListPrincipalThingsCommand({ principal, ...(nextToken ? { nextToken } : {}) }),
    );
    things.push(...(out.things ?? []));
    nextToken = out.nextToken;
  } while (nextToken !== undefined);
  return things;
}
