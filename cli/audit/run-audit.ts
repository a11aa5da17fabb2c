/**
 * An on-demand Device Defender audit of the checks recert rotates, followed to the end and to the
 * campaign its notification starts (`audit-<taskId>`). Takes its clients and returns data, so any
 * front end (the CLI, the console) runs the same operation.
 */
import { DescribeAuditTaskCommand, type IoTClient, StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { META_ENTRY } from '../../workflows/campaign/table.ts';
import { campaignOfAudit } from '../campaigns/campaign-id.ts';

export const AUDIT_CHECKS = {
  expiring: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
  age: 'DEVICE_CERTIFICATE_AGE_CHECK',
} as const;
export type AuditCheck = keyof typeof AUDIT_CHECKS;

const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELED']);

export interface AuditRun {
  readonly taskId: string;
  readonly taskStatus: string;
  readonly checks: { checkName: string; status?: string; checked: number; nonCompliant: number }[];
  /** The campaign the audit's notification starts. */
  readonly campaignId: string;
  /** Whether that campaign exists yet (false: nothing non-compliant, or not within the wait). */
  readonly campaignStarted: boolean;
}

export interface AuditRunDeps {
  readonly iot: IoTClient;
  readonly db: DynamoDBDocumentClient;
  /** The campaign table, when the deployment has campaigns. */
  readonly campaignTableName: string | undefined;
  /** Waits between polls (tests and the CLI: a timer). */
  readonly sleep: (ms: number) => Promise<void>;
  readonly onProgress?: (line: string) => void;
}

export async function runAudit(
  deps: AuditRunDeps,
  options: { checks: readonly AuditCheck[]; waitForCampaignMs: number; pollMs?: number },
): Promise<AuditRun> {
  const pollMs = options.pollMs ?? 1000;
  const started = await deps.iot.send(
    new StartOnDemandAuditTaskCommand({ targetCheckNames: options.checks.map((c) => AUDIT_CHECKS[c]) }),
  );
  const taskId = started.taskId ?? '';
  deps.onProgress?.(`audit task ${taskId} started`);
  for (;;) {
    const task = await deps.iot.send(new DescribeAuditTaskCommand({ taskId }));
    const status = task.taskStatus ?? 'UNKNOWN';
    if (ENDED.has(status)) {
      const checks = Object.entries(task.auditDetails ?? {}).map(([checkName, d]) => ({
        checkName,
        ...(d.checkRunStatus ? { status: d.checkRunStatus } : {}),
        checked: d.totalResourcesCount ?? 0,
        nonCompliant: d.nonCompliantResourcesCount ?? 0,
      }));
      const campaignId = campaignOfAudit(taskId);
      const campaignStarted =
        status === 'COMPLETED' &&
        (await campaignAppears(deps, campaignId, options.waitForCampaignMs, pollMs));
      return { taskId, taskStatus: status, checks, campaignId, campaignStarted };
    }
    deps.onProgress?.(`audit task ${taskId}: ${status}`);
    await deps.sleep(pollMs);
  }
}

async function campaignAppears(deps: AuditRunDeps, campaignId: string, waitMs: number, pollMs: number) {
  if (deps.campaignTableName === undefined) return false;
  for (let waited = 0; ; waited += pollMs) {
    const out = await deps.db.send(
      new GetCommand({ TableName: deps.campaignTableName, Key: { campaignId, entry: META_ENTRY } }),
    );
    if (out.Item !== undefined) return true;
    if (waited >= waitMs) return false;
    deps.onProgress?.(`waiting for campaign ${campaignId}...`);
    await deps.sleep(pollMs);
  }
}
