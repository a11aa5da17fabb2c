import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock, Timer } from '../../../lib/clock.ts';
import { readJsonFile, writeJsonFile } from '../../events/json-file.ts';
import type { CertificateSource } from '../interfaces.ts';
import { AuditAlreadyExistsError, AuditInvalidRequestError, AuditNotFoundError } from './audit-errors.ts';
import {
  type AccountConfiguration,
  type AuditState,
  AuditStateSchema,
  type AuditTask,
  type CheckName,
  type Finding,
  FindingSchema,
  isSupportedCheck,
  type ScheduledAudit,
  SUPPORTED_CHECKS,
  type UpdateConfiguration,
} from './audit-model.ts';
import { runCheck } from './checks.ts';
import { type AuditNotifier, auditNotification } from './notification.ts';
import { nextRun } from './schedule.ts';
import { thresholdOf } from './thresholds.ts';

export type AuditEvent =
  | { readonly type: 'task-completed'; readonly taskId: string; readonly nonCompliant: number }
  | { readonly type: 'notification-failed'; readonly taskId: string; readonly message: string }
  | { readonly type: 'scheduled-run-skipped'; readonly scheduledAuditName: string; readonly message: string };

export interface DeviceDefenderAuditOptions {
  readonly certificates: CertificateSource;
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  /** State persists in `<stateDir>/iot/audit/`; in memory when omitted. */
  readonly stateDir?: string;
  readonly notify?: AuditNotifier;
  readonly onEvent?: (event: AuditEvent) => void;
}

const FindingsFileSchema = z.array(FindingSchema);

/**
 * Device Defender audit over the registry's certificates: the account audit configuration, on-demand
 * and scheduled (on the shared clock) audit tasks running the device certificate checks, their findings,
 * and the SNS notification when a task completes.
 */
export class DeviceDefenderAudit {
  private state: AuditState = { tasks: [], scheduledAudits: [] };
  private readonly findings = new Map<string, Finding[]>();
  private readonly timers = new Map<string, Timer>();
  private readonly running = new Set<Promise<void>>();
  private readonly directory: string | undefined;

  constructor(private readonly options: DeviceDefenderAuditOptions) {
    this.directory = options.stateDir ? join(options.stateDir, 'iot', 'audit') : undefined;
  }

  /** Loads the stored state, finishes tasks a restart interrupted, and arms the scheduled audits. */
  async start(): Promise<void> {
    if (this.directory) {
      await mkdir(join(this.directory, 'findings'), { recursive: true });
      const raw = await readJsonFile(join(this.directory, 'state.json'));
      if (raw !== undefined) {
        const parsed = AuditStateSchema.safeParse(raw);
        if (!parsed.success) throw new Error(`audit state is not valid: ${parsed.error.message}`);
        this.state = parsed.data;
      }
      for (const task of this.state.tasks) {
        if (task.taskStatus === 'COMPLETED')
          this.findings.set(task.taskId, await this.loadFindings(task.taskId));
      }
    }
    for (const task of this.state.tasks.filter((t) => t.taskStatus === 'IN_PROGRESS'))
      this.track(this.run(task));
    for (const audit of this.state.scheduledAudits) this.arm(audit);
  }

  async close(): Promise<void> {
    for (const timer of this.timers.values()) this.options.clock.clearTimer(timer);
    this.timers.clear();
    await this.idle();
  }

  /** Resolves when every started audit task has completed and its notification was sent. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  // --- account configuration ---

  async updateConfiguration(update: UpdateConfiguration): Promise<void> {
    const first = this.state.configuration === undefined;
    const current: AccountConfiguration = this.state.configuration ?? { checks: {} };
    const roleArn = update.roleArn ?? current.roleArn;
    if (first && !roleArn)
      throw new AuditInvalidRequestError('roleArn is required on the first configuration');
    const checks = { ...current.checks };
    for (const [name, config] of Object.entries(update.auditCheckConfigurations ?? {})) {
      if (!isSupportedCheck(name)) {
        throw new AuditInvalidRequestError(
          `Audit check ${name} is not supported by the local Device Defender (supported: ${SUPPORTED_CHECKS.join(', ')})`,
        );
      }
      const configuration = { ...(checks[name]?.configuration ?? {}), ...(config.configuration ?? {}) };
      thresholdOf(name, configuration);
      const enabled = config.enabled ?? checks[name]?.enabled ?? false;
      if (!enabled && this.state.scheduledAudits.some((a) => a.targetCheckNames.includes(name))) {
        throw new AuditInvalidRequestError(`${name} is used by a scheduled audit and cannot be disabled`);
      }
      checks[name] = { enabled, configuration };
    }
    if (first && !Object.values(checks).some((check) => check.enabled)) {
      throw new AuditInvalidRequestError('The first configuration must enable at least one audit check');
    }
    let notification = current.notification;
    for (const [kind, target] of Object.entries(update.auditNotificationTargetConfigurations ?? {})) {
      if (kind !== 'SNS')
        throw new AuditInvalidRequestError(`Notification target type ${kind} is not valid (SNS is)`);
      const targetArn = target.targetArn ?? notification?.targetArn;
      if (!targetArn) throw new AuditInvalidRequestError('The SNS notification target needs a targetArn');
      const targetRole = target.roleArn ?? notification?.roleArn;
      notification = {
        targetArn,
        ...(targetRole !== undefined ? { roleArn: targetRole } : {}),
        enabled: target.enabled ?? notification?.enabled ?? false,
      };
    }
    this.state.configuration = {
      ...(roleArn !== undefined ? { roleArn } : {}),
      ...(notification ? { notification } : {}),
      checks,
    };
    await this.save();
  }

  /** AWS's DescribeAccountAuditConfiguration shape. */
  describeConfiguration(): Record<string, unknown> {
    const config = this.state.configuration;
    const checks: Record<string, unknown> = {};
    for (const name of SUPPORTED_CHECKS) {
      const check = config?.checks[name];
      checks[name] = { enabled: check?.enabled ?? false, configuration: check?.configuration ?? {} };
    }
    return {
      ...(config?.roleArn ? { roleArn: config.roleArn } : {}),
      auditNotificationTargetConfigurations: config?.notification ? { SNS: config.notification } : {},
      auditCheckConfigurations: checks,
    };
  }

  // --- audit tasks ---

  /** Starts an audit of the given checks (each must be enabled); it completes in the background. */
  async startOnDemandAuditTask(targetCheckNames: readonly string[]): Promise<string> {
    return (await this.startTask(targetCheckNames, 'ON_DEMAND_AUDIT_TASK')).taskId;
  }

  describeTask(taskId: string): AuditTask {
    const task = this.state.tasks.find((t) => t.taskId === taskId);
    if (!task) throw new AuditNotFoundError(`Audit task ${taskId} does not exist`);
    return task;
  }

  listTasks(filter: {
    startTime: number;
    endTime: number;
    taskType?: string;
    taskStatus?: string;
  }): AuditTask[] {
    return this.state.tasks
      .filter((t) => t.taskStartTime >= filter.startTime && t.taskStartTime <= filter.endTime)
      .filter((t) => filter.taskType === undefined || t.taskType === filter.taskType)
      .filter((t) => filter.taskStatus === undefined || t.taskStatus === filter.taskStatus)
      .sort((a, b) => b.taskStartTime - a.taskStartTime);
  }

  /** Findings of one task, or of the tasks started in a time range; optionally of one check or certificate. */
  listFindings(filter: {
    taskId?: string;
    startTime?: number;
    endTime?: number;
    checkName?: string;
    certificateId?: string;
  }): Finding[] {
    let tasks: AuditTask[];
    if (filter.taskId !== undefined) {
      tasks = [this.describeTask(filter.taskId)];
    } else if (filter.startTime !== undefined && filter.endTime !== undefined) {
      tasks = this.listTasks({ startTime: filter.startTime, endTime: filter.endTime });
    } else {
      throw new AuditInvalidRequestError('Specify either taskId, or both startTime and endTime');
    }
    return tasks
      .flatMap((task) => this.findings.get(task.taskId) ?? [])
      .filter((f) => filter.checkName === undefined || f.checkName === filter.checkName)
      .filter((f) => filter.certificateId === undefined || f.certificateId === filter.certificateId);
  }

  // --- scheduled audits ---

  async createScheduledAudit(input: Omit<ScheduledAudit, 'createdAt'>): Promise<string> {
    if (this.state.scheduledAudits.some((a) => a.scheduledAuditName === input.scheduledAuditName)) {
      throw new AuditAlreadyExistsError(`Scheduled audit ${input.scheduledAuditName} already exists`);
    }
    if ((input.frequency === 'WEEKLY' || input.frequency === 'BIWEEKLY') && !input.dayOfWeek) {
      throw new AuditInvalidRequestError(`dayOfWeek is required for a ${input.frequency} audit`);
    }
    if (input.frequency === 'MONTHLY' && !input.dayOfMonth) {
      throw new AuditInvalidRequestError('dayOfMonth is required for a MONTHLY audit');
    }
    this.requireEnabled(input.targetCheckNames);
    const audit: ScheduledAudit = { ...input, createdAt: this.options.clock.now() };
    this.state.scheduledAudits.push(audit);
    await this.save();
    this.arm(audit);
    return this.scheduledAuditArn(audit.scheduledAuditName);
  }

  listScheduledAudits(): ScheduledAudit[] {
    return [...this.state.scheduledAudits].sort((a, b) =>
      a.scheduledAuditName.localeCompare(b.scheduledAuditName),
    );
  }

  describeScheduledAudit(name: string): ScheduledAudit {
    const audit = this.state.scheduledAudits.find((a) => a.scheduledAuditName === name);
    if (!audit) throw new AuditNotFoundError(`Scheduled audit ${name} does not exist`);
    return audit;
  }

  async deleteScheduledAudit(name: string): Promise<void> {
    this.describeScheduledAudit(name);
    this.state.scheduledAudits = this.state.scheduledAudits.filter((a) => a.scheduledAuditName !== name);
    const timer = this.timers.get(name);
    if (timer) this.options.clock.clearTimer(timer);
    this.timers.delete(name);
    await this.save();
  }

  scheduledAuditArn(name: string): string {
    return `arn:aws:iot:${this.options.region}:${this.options.accountId}:scheduledaudit/${name}`;
  }

  /** When a scheduled audit runs next (epoch ms), for operators and tests. */
  nextScheduledRun(name: string): number {
    return nextRun(this.describeScheduledAudit(name), this.options.clock.now());
  }

  // --- internals ---

  private requireEnabled(names: readonly string[]): CheckName[] {
    if (names.length === 0)
      throw new AuditInvalidRequestError('targetCheckNames must name at least one check');
    return names.map((name) => {
      if (!isSupportedCheck(name))
        throw new AuditInvalidRequestError(`Audit check ${name} is not supported locally`);
      if (!this.state.configuration?.checks[name]?.enabled) {
        throw new AuditInvalidRequestError(`Audit check ${name} is not enabled for this account`);
      }
      return name;
    });
  }

  private async startTask(
    targetCheckNames: readonly string[],
    taskType: AuditTask['taskType'],
    scheduledAuditName?: string,
  ): Promise<AuditTask> {
    const checks = this.requireEnabled(targetCheckNames);
    const task: AuditTask = {
      taskId: randomBytes(16).toString('hex'),
      taskType,
      taskStatus: 'IN_PROGRESS',
      taskStartTime: this.options.clock.now(),
      ...(scheduledAuditName ? { scheduledAuditName } : {}),
      checks: Object.fromEntries(
        checks.map((name) => [
          name,
          { checkRunStatus: 'IN_PROGRESS' as const, totalResourcesCount: 0, nonCompliantResourcesCount: 0 },
        ]),
      ),
    };
    this.state.tasks.push(task);
    await this.save();
    this.track(this.run(task));
    return task;
  }

  private track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  /** Runs the task's checks against the certificates as they are now, stores findings, then notifies. */
  private async run(task: AuditTask): Promise<void> {
    // Answer the API call first, as AWS does; the audit runs right after.
    await new Promise((resolve) => setImmediate(resolve));
    const now = this.options.clock.now();
    const certificates = [...this.options.certificates.listCertificates()];
    const findings: Finding[] = [];
    for (const name of Object.keys(task.checks)) {
      if (!isSupportedCheck(name)) continue;
      const threshold = thresholdOf(name, this.state.configuration?.checks[name]?.configuration ?? {});
      const outcome = runCheck(name, certificates, now, threshold);
      task.checks[name] = {
        checkRunStatus: outcome.nonCompliant.length > 0 ? 'COMPLETED_NON_COMPLIANT' : 'COMPLETED_COMPLIANT',
        totalResourcesCount: outcome.totalResourcesCount,
        nonCompliantResourcesCount: outcome.nonCompliant.length,
      };
      for (const item of outcome.nonCompliant) {
        findings.push({
          findingId: randomBytes(16).toString('hex'),
          taskId: task.taskId,
          checkName: name,
          taskStartTime: task.taskStartTime,
          findingTime: now,
          severity: item.severity,
          certificateId: item.certificate.certificateId,
          certificateArn: item.certificate.certificateArn,
          reasonForNonCompliance: item.reasonForNonCompliance,
          reasonForNonComplianceCode: item.reasonForNonComplianceCode,
        });
      }
    }
    this.findings.set(task.taskId, findings);
    if (this.directory)
      await writeJsonFile(join(this.directory, 'findings', `${task.taskId}.json`), findings);
    task.taskStatus = 'COMPLETED';
    await this.save();
    this.options.onEvent?.({ type: 'task-completed', taskId: task.taskId, nonCompliant: findings.length });
    await this.notify(task);
  }

  private async notify(task: AuditTask): Promise<void> {
    const target = this.state.configuration?.notification;
    if (!target?.enabled || !this.options.notify) return;
    try {
      await this.options.notify(
        target.targetArn,
        JSON.stringify(auditNotification(task, this.options.accountId)),
        target.roleArn,
      );
    } catch (error) {
      this.options.onEvent?.({
        type: 'notification-failed',
        taskId: task.taskId,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Arms the audit's next run on the clock; each run arms the one after it. */
  private arm(audit: ScheduledAudit): void {
    const at = nextRun(audit, this.options.clock.now());
    const timer = this.options.clock.setTimer(at, () => {
      this.timers.delete(audit.scheduledAuditName);
      if (!this.state.scheduledAudits.includes(audit)) return;
      this.track(
        this.startTask(audit.targetCheckNames, 'SCHEDULED_AUDIT_TASK', audit.scheduledAuditName).then(
          () => undefined,
          (error: unknown) => {
            // A check disabled since the audit was scheduled: the run is skipped, the schedule continues.
            this.options.onEvent?.({
              type: 'scheduled-run-skipped',
              scheduledAuditName: audit.scheduledAuditName,
              message: error instanceof Error ? error.message : String(error),
            });
          },
        ),
      );
      this.arm(audit);
    });
    this.timers.set(audit.scheduledAuditName, timer);
  }

  private async loadFindings(taskId: string): Promise<Finding[]> {
    if (!this.directory) return [];
    const path = join(this.directory, 'findings', `${taskId}.json`);
    try {
      const parsed = FindingsFileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
      return parsed.success ? parsed.data : [];
    } catch {
      return [];
    }
  }

  private async save(): Promise<void> {
    if (this.directory) await writeJsonFile(join(this.directory, 'state.json'), this.state);
  }
}
