/**
 * One campaign id everywhere: an audit's campaign is `audit-<taskId>` (what the fan-out names it),
 * and an operator may type either that or the bare audit task id.
 */
import { auditCampaignId } from '../../workflows/campaign/types.ts';

const AUDIT_PREFIX = 'audit-';
const AUDIT_TASK_ID = /^[a-zA-Z0-9-]{1,40}$/;

/** The audit task id a campaign id or task id names, or undefined when it cannot be one. */
export function auditTaskIdOf(text: string): string | undefined {
  const bare = text.startsWith(AUDIT_PREFIX) ? text.slice(AUDIT_PREFIX.length) : text;
  return AUDIT_TASK_ID.test(bare) ? bare : undefined;
}

/** The campaign id of an audit task's rotations. */
export const campaignOfAudit = (taskId: string): string => auditCampaignId(taskId);

/**
 * The campaign ids a typed name may stand for, most likely first: the name itself, and for an
 * audit task id the `audit-` form and the bare form (records written before the two agreed).
 */
export function campaignIdsFor(text: string): string[] {
  const taskId = auditTaskIdOf(text);
  if (taskId === undefined) return [text];
  return [...new Set([text, auditCampaignId(taskId), taskId])];
}
