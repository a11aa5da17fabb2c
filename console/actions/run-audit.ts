import { StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import type { Target } from '../../cli/index.ts';
import { AUDIT_CHECKS, type AuditCheck, campaignOfAudit, UsageError } from '../../cli/index.ts';

const isCheck = (name: string): name is AuditCheck => Object.hasOwn(AUDIT_CHECKS, name);

/**
 * Starts an on-demand Device Defender audit of one rotation check, with the CLI's check names, as
 * `recert audit run` does first. The CLI then follows the task to its end; an HTTP request must not
 * wait minutes for a large fleet's audit, so the console answers at once and its overview shows the
 * campaign the audit's notification starts.
 */
export async function runAudit(
  target: Target,
  check: string | undefined,
): Promise<{ taskId: string; campaignId: string }> {
  const name = check === undefined || check === '' ? 'expiring' : check;
  if (!isCheck(name)) {
    throw new UsageError(
      `check ${JSON.stringify(name)} is not one of ${Object.keys(AUDIT_CHECKS).join(', ')}`,
    );
  }
  const out = await target.iot.send(
    new StartOnDemandAuditTaskCommand({ targetCheckNames: [AUDIT_CHECKS[name]] }),
  );
  const taskId = out.taskId ?? '';
  return { taskId, campaignId: campaignOfAudit(taskId) };
}
