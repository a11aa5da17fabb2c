import type { Target } from '../../cli/index.ts';
import {
  type CampaignMeta,
  type CampaignProgress,
  campaignProgress,
  campaignResources,
  campaignsByExecution,
  collect,
  countByStatus,
  errorMessage,
  queryByStatus,
  readableError,
  readMeta,
} from '../../cli/index.ts';
import { ROTATION_STATUSES, type RotationStatus } from '../../workflows/rotate-device/table.ts';

const FAILED_STATUSES: readonly RotationStatus[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];
/** Failures read per status to group by error: the most recent ones. */
const FAILURES_READ = 200;
const CAMPAIGNS_SHOWN = 20;

export interface CampaignRow {
  readonly campaignId: string;
  readonly executionStatus: string;
  readonly meta: CampaignMeta | undefined;
  readonly progress: CampaignProgress | undefined;
  readonly problem: string | undefined;
}

export interface FailureGroup {
  readonly error: string;
  readonly count: number;
  readonly things: readonly string[];
}

export interface Overview {
  readonly counts: ReadonlyArray<readonly [RotationStatus, number]>;
  readonly campaigns: readonly CampaignRow[] | { readonly unavailable: string };
  readonly failures: readonly FailureGroup[];
  /** How many failed records were read to group (the most recent of each failed status). */
  readonly failuresRead: number;
}

/** The fleet at a glance: counts by status, campaigns with progress, recent failures by error. */
export async function overview(target: Target, now: number): Promise<Overview> {
  const [counts, campaigns, failed] = await Promise.all([
    Promise.all(ROTATION_STATUSES.map(async (s) => [s, await countByStatus(target, s)] as const)),
    campaignRows(target, now),
    Promise.all(
      FAILED_STATUSES.map((status) =>
        collect(queryByStatus(target, { status, newestFirst: true, limit: FAILURES_READ })),
      ),
    ),
  ]);
  const groups = new Map<string, string[]>();
  for (const record of failed.flat()) {
    const key = errorKey(record.lastError);
    const list = groups.get(key) ?? [];
    list.push(record.thingName);
    groups.set(key, list);
  }
  const failures = [...groups]
    .map(([error, things]) => ({ error, count: things.length, things: things.slice(0, 5) }))
    .sort((a, b) => b.count - a.count);
  return { counts, campaigns, failures, failuresRead: failed.flat().length };
}

/**
 * The error a failure is grouped under: its readable first line, with the ids and names that
 * differ from thing to thing (hex ids, ARNs, numbers) replaced, so one cause makes one group.
 */
export function errorKey(lastError: string | undefined): string {
  if (lastError === undefined) return '(no error recorded)';
  const line = readableError(lastError).split('\n')[0] ?? '';
  const general = line
    .replace(/arn:aws[^\s"',)]*/g, '<arn>')
    .replace(/\b[0-9a-f]{16,}\b/gi, '<id>')
    .replace(/\b\d+(\.\d+)?\b/g, '<n>');
  return general.length > 160 ? `${general.slice(0, 157)}...` : general;
}

async function campaignRows(target: Target, now: number): Promise<Overview['campaigns']> {
  let stateMachineArn: string;
  try {
    stateMachineArn = campaignResources(target).stateMachineArn;
  } catch (error) {
    return { unavailable: errorMessage(error) };
  }
  const byCampaign = await campaignsByExecution(target, stateMachineArn, CAMPAIGNS_SHOWN);
  return Promise.all(
    [...byCampaign].map(async ([campaignId, executions]): Promise<CampaignRow> => {
      const executionStatus = executions[0]?.status ?? 'UNKNOWN';
      try {
        const meta = await readMeta(target, campaignId);
        return {
          campaignId,
          executionStatus,
          meta,
          progress: meta ? campaignProgress(meta, now) : undefined,
          problem: undefined,
        };
      } catch (error) {
        return {
          campaignId,
          executionStatus,
          meta: undefined,
          progress: undefined,
          problem: errorMessage(error),
        };
      }
    }),
  );
}
