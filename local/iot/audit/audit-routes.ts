import { z } from 'zod';
import { restGuard } from '../http/rest-guard.ts';
import { RestError, type RestRequest, type RestRoute, route } from '../interfaces.ts';
import { AuditAlreadyExistsError, AuditInvalidRequestError, AuditNotFoundError } from './audit-errors.ts';
import { type Finding, ScheduledAuditSchema, UpdateConfigurationSchema } from './audit-model.ts';
import type { DeviceDefenderAudit } from './device-defender.ts';

const StartTaskSchema = z.object({ targetCheckNames: z.array(z.string()).min(1) });
const ListFindingsSchema = z.object({
  taskId: z.string().optional(),
  checkName: z.string().optional(),
  resourceIdentifier: z
    .object({ deviceCertificateId: z.string().optional() })
    .catchall(z.unknown())
    .optional(),
  maxResults: z.number().int().min(1).max(250).optional(),
  nextToken: z.string().optional(),
  // restJson1 sends timestamps in a JSON body as epoch seconds.
  startTime: z.number().optional(),
  endTime: z.number().optional(),
  listSuppressedFindings: z.boolean().optional(),
});
/** A stored scheduled audit's fields as the request body carries them (the name is in the path). */
const CreateScheduledAuditSchema = ScheduledAuditSchema.omit({
  scheduledAuditName: true,
  createdAt: true,
}).extend({
  tags: z.array(z.unknown()).optional(),
});

/** The Device Defender audit operations of the IoT control plane, on AWS's URIs. */
export function auditRoutes(audit: DeviceDefenderAudit): RestRoute[] {
  return [
    route('UpdateAccountAuditConfiguration', 'PATCH', '/audit/configuration', (request) =>
      guard(async () => {
        await audit.updateConfiguration(body(UpdateConfigurationSchema, request));
        return { status: 200, body: {} };
      }),
    ),
    route('DescribeAccountAuditConfiguration', 'GET', '/audit/configuration', () =>
      guard(() => ({ status: 200, body: audit.describeConfiguration() })),
    ),
    route('StartOnDemandAuditTask', 'POST', '/audit/tasks', (request) =>
      guard(async () => {
        const { targetCheckNames } = body(StartTaskSchema, request);
        return { status: 200, body: { taskId: await audit.startOnDemandAuditTask(targetCheckNames) } };
      }),
    ),
    route('DescribeAuditTask', 'GET', '/audit/tasks/{taskId}', (request) =>
      guard(() => {
        const task = audit.describeTask(request.pathParams.taskId ?? '');
        const checks = Object.values(task.checks);
        const count = (status: string) => checks.filter((c) => c.checkRunStatus === status).length;
        return {
          status: 200,
          body: {
            taskStatus: task.taskStatus,
            taskType: task.taskType,
            taskStartTime: task.taskStartTime / 1000,
            taskStatistics: {
              totalChecks: checks.length,
              inProgressChecks: count('IN_PROGRESS'),
              waitingForDataCollectionChecks: 0,
              compliantChecks: count('COMPLETED_COMPLIANT'),
              nonCompliantChecks: count('COMPLETED_NON_COMPLIANT'),
              failedChecks: count('FAILED'),
              canceledChecks: 0,
            },
            ...(task.scheduledAuditName ? { scheduledAuditName: task.scheduledAuditName } : {}),
            auditDetails: Object.fromEntries(
              Object.entries(task.checks).map(([name, check]) => [
                name,
                {
                  checkRunStatus: check.checkRunStatus,
                  ...(check.checkRunStatus === 'IN_PROGRESS'
                    ? {}
                    : { checkCompliant: check.checkRunStatus === 'COMPLETED_COMPLIANT' }),
                  totalResourcesCount: check.totalResourcesCount,
                  nonCompliantResourcesCount: check.nonCompliantResourcesCount,
                  suppressedNonCompliantResourcesCount: 0,
                },
              ]),
            ),
          },
        };
      }),
    ),
    route('ListAuditTasks', 'GET', '/audit/tasks', (request) =>
      guard(() => {
        const startTime = timeQuery(request, 'startTime');
        const endTime = timeQuery(request, 'endTime');
        const taskType = request.query.get('taskType') ?? undefined;
        const taskStatus = request.query.get('taskStatus') ?? undefined;
        const tasks = audit.listTasks({
          startTime,
          endTime,
          ...(taskType ? { taskType } : {}),
          ...(taskStatus ? { taskStatus } : {}),
        });
        const { page, nextToken } = paginate(tasks, request.query.get('nextToken'), maxResults(request, 250));
        return {
          status: 200,
          body: {
            tasks: page.map((t) => ({ taskId: t.taskId, taskStatus: t.taskStatus, taskType: t.taskType })),
            ...(nextToken ? { nextToken } : {}),
          },
        };
      }),
    ),
    route('ListAuditFindings', 'POST', '/audit/findings', (request) =>
      guard(() => {
        const input = body(ListFindingsSchema, request);
        if (input.taskId !== undefined && (input.startTime !== undefined || input.endTime !== undefined)) {
          throw new AuditInvalidRequestError('Specify either taskId or startTime and endTime, not both');
        }
        const certificateId = input.resourceIdentifier?.deviceCertificateId;
        const findings = audit.listFindings({
          ...(input.taskId !== undefined ? { taskId: input.taskId } : {}),
          ...(input.startTime !== undefined ? { startTime: input.startTime * 1000 } : {}),
          ...(input.endTime !== undefined ? { endTime: input.endTime * 1000 } : {}),
          ...(input.checkName !== undefined ? { checkName: input.checkName } : {}),
          ...(certificateId !== undefined ? { certificateId } : {}),
        });
        const { page, nextToken } = paginate(findings, input.nextToken ?? null, input.maxResults ?? 25);
        return {
          status: 200,
          body: { findings: page.map(describeFinding), ...(nextToken ? { nextToken } : {}) },
        };
      }),
    ),
    route('CreateScheduledAudit', 'POST', '/audit/scheduledaudits/{scheduledAuditName}', (request) =>
      guard(async () => {
        const input = body(CreateScheduledAuditSchema, request);
        const scheduledAuditName = request.pathParams.scheduledAuditName ?? '';
        if (!/^[a-zA-Z0-9_-]{1,128}$/.test(scheduledAuditName)) {
          throw new AuditInvalidRequestError(`Scheduled audit name '${scheduledAuditName}' is not valid`);
        }
        const arn = await audit.createScheduledAudit({
          scheduledAuditName,
          frequency: input.frequency,
          targetCheckNames: input.targetCheckNames,
          ...(input.dayOfWeek ? { dayOfWeek: input.dayOfWeek } : {}),
          ...(input.dayOfMonth ? { dayOfMonth: input.dayOfMonth } : {}),
        });
        return { status: 200, body: { scheduledAuditArn: arn } };
      }),
    ),
    route('DescribeScheduledAudit', 'GET', '/audit/scheduledaudits/{scheduledAuditName}', (request) =>
      guard(() => {
        const a = audit.describeScheduledAudit(request.pathParams.scheduledAuditName ?? '');
        return {
          status: 200,
          body: {
            scheduledAuditName: a.scheduledAuditName,
            scheduledAuditArn: audit.scheduledAuditArn(a.scheduledAuditName),
            frequency: a.frequency,
            ...(a.dayOfWeek ? { dayOfWeek: a.dayOfWeek } : {}),
            ...(a.dayOfMonth ? { dayOfMonth: a.dayOfMonth } : {}),
            targetCheckNames: a.targetCheckNames,
          },
        };
      }),
    ),
    route('ListScheduledAudits', 'GET', '/audit/scheduledaudits', (request) =>
      guard(() => {
        const { page, nextToken } = paginate(
          audit.listScheduledAudits(),
          request.query.get('nextToken'),
          maxResults(request, 250),
        );
        return {
          status: 200,
          body: {
            scheduledAudits: page.map((a) => ({
              scheduledAuditName: a.scheduledAuditName,
              scheduledAuditArn: audit.scheduledAuditArn(a.scheduledAuditName),
              frequency: a.frequency,
              ...(a.dayOfWeek ? { dayOfWeek: a.dayOfWeek } : {}),
              ...(a.dayOfMonth ? { dayOfMonth: a.dayOfMonth } : {}),
            })),
            ...(nextToken ? { nextToken } : {}),
          },
        };
      }),
    ),
    route('DeleteScheduledAudit', 'DELETE', '/audit/scheduledaudits/{scheduledAuditName}', (request) =>
      guard(async () => {
        await audit.deleteScheduledAudit(request.pathParams.scheduledAuditName ?? '');
        return { status: 200, body: {} };
      }),
    ),
  ];
}

function describeFinding(finding: Finding): Record<string, unknown> {
  return {
    findingId: finding.findingId,
    taskId: finding.taskId,
    checkName: finding.checkName,
    taskStartTime: finding.taskStartTime / 1000,
    findingTime: finding.findingTime / 1000,
    severity: finding.severity,
    nonCompliantResource: {
      resourceType: 'DEVICE_CERTIFICATE',
      resourceIdentifier: {
        deviceCertificateId: finding.certificateId,
        deviceCertificateArn: finding.certificateArn,
      },
    },
    reasonForNonCompliance: finding.reasonForNonCompliance,
    reasonForNonComplianceCode: finding.reasonForNonComplianceCode,
    isSuppressed: false,
  };
}

function body<T>(schema: z.ZodType<T>, request: RestRequest): T {
  const parsed = schema.safeParse(request.body ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
    throw new RestError(400, 'InvalidRequestException', `${request.operation}: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** Query-string timestamps are ISO 8601 in restJson1; epoch seconds are accepted too. */
function timeQuery(request: RestRequest, name: string): number {
  const raw = request.query.get(name);
  if (raw === null) throw new RestError(400, 'InvalidRequestException', `${name} is required`);
  const time = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
  if (Number.isNaN(time))
    throw new RestError(400, 'InvalidRequestException', `${name} '${raw}' is not a timestamp`);
  return time;
}

function maxResults(request: RestRequest, max: number): number {
  const raw = request.query.get('maxResults');
  if (raw === null) return max;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new RestError(400, 'InvalidRequestException', `maxResults must be from 1 to ${max}, got ${raw}`);
  }
  return n;
}

function paginate<T>(
  items: readonly T[],
  token: string | null,
  size: number,
): { page: T[]; nextToken?: string } {
  const start = token === null ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0) {
    throw new RestError(400, 'InvalidRequestException', `Invalid nextToken: ${token}`);
  }
  const page = items.slice(start, start + size);
  return start + size < items.length ? { page, nextToken: String(start + size) } : { page };
}

/** Maps Device Defender's errors to the exceptions AWS answers with. */
const guard = restGuard([
  { type: AuditInvalidRequestError, status: 400, code: 'InvalidRequestException' },
  { type: AuditNotFoundError, status: 404, code: 'ResourceNotFoundException' },
  { type: AuditAlreadyExistsError, status: 409, code: 'ResourceAlreadyExistsException' },
]);
