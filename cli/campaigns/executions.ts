/**
 * A campaign's executions of the campaign state machine: the first is named `<campaignId>`, each
 * hand-over to a fresh execution (before the history grows long) `<campaignId>--<generation>`. The
 * latest generation is the one that runs, or the one to redrive.
 */
import { type ExecutionListItem, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import type { Target } from '../target/target.ts';

export interface CampaignExecution {
  readonly campaignId: string;
  readonly generation: number;
  readonly executionArn: string;
  readonly status: string;
  readonly startDate: string | undefined;
  readonly stopDate: string | undefined;
  readonly redriveCount: number;
}

/** The campaign and generation an execution name stands for. */
export function parseExecutionName(name: string): { campaignId: string; generation: number } {
  const match = /^(.+)--(\d{1,9})$/.exec(name);
  if (match?.[1] !== undefined && match[2] !== undefined) {
    return { campaignId: match[1], generation: Number(match[2]) };
  }
  return { campaignId: name, generation: 0 };
}

export const executionName = (campaignId: string, generation: number): string =>
  generation === 0 ? campaignId : `${campaignId}--${generation}`;

function fromItem(item: ExecutionListItem): CampaignExecution | undefined {
  if (item.name === undefined || item.executionArn === undefined) return undefined;
  return {
    ...parseExecutionName(item.name),
    executionArn: item.executionArn,
    status: item.status ?? 'UNKNOWN',
    startDate: item.startDate?.toISOString(),
    stopDate: item.stopDate?.toISOString(),
    redriveCount: item.redriveCount ?? 0,
  };
}

/** Every execution of the campaign state machine, newest first, page after page. */
export async function* listCampaignExecutions(
  target: Target,
  stateMachineArn: string,
): AsyncGenerator<CampaignExecution> {
  let nextToken: string | undefined;
  do {
    const page = await target.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        maxResults: 1000,
        ...(nextToken !== undefined ? { nextToken } : {}),
      }),
    );
    for (const item of page.executions ?? []) {
      const execution = fromItem(item);
      if (execution) yield execution;
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
}

/** Campaign ids by their latest activity, newest first, with their executions (latest generation first). */
export async function campaignsByExecution(
  target: Target,
  stateMachineArn: string,
  limit: number,
): Promise<Map<string, CampaignExecution[]>> {
  const byCampaign = new Map<string, CampaignExecution[]>();
  for await (const execution of listCampaignExecutions(target, stateMachineArn)) {
    const list = byCampaign.get(execution.campaignId);
    if (list) list.push(execution);
    else {
      // Executions come newest first: once `limit` campaigns are known, older ones are left out.
      if (byCampaign.size >= limit) continue;
      byCampaign.set(execution.campaignId, [execution]);
    }
  }
  for (const list of byCampaign.values()) list.sort((a, b) => b.generation - a.generation);
  return byCampaign;
}

/** The executions of one campaign, latest generation first. */
export async function executionsOf(
  target: Target,
  stateMachineArn: string,
  campaignId: string,
): Promise<CampaignExecution[]> {
  const found: CampaignExecution[] = [];
  for await (const execution of listCampaignExecutions(target, stateMachineArn)) {
    if (execution.campaignId === campaignId) found.push(execution);
  }
  return found.sort((a, b) => b.generation - a.generation);
}
