/**
 * Resuming a stopped campaign: META goes back to RUNNING (ENQUEUEING while its queue is still being
 * written) with the counters of this moment as the failure rate's baseline, so only rotations that
 * finish from now on count; then the campaign's latest execution is redriven at `Pace`, where it
 * failed. An execution past the 14-day redrive window is replaced by the next generation, which
 * carries on from the queue cursor in META.
 */
import {
  DescribeExecutionCommand,
  RedriveExecutionCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { META_ENTRY } from '../../workflows/campaign/table.ts';
import { errorMessage, isNamed, OperationFailedError, RefusedError } from '../errors.ts';
import type { Target } from '../target/target.ts';
import { type CampaignExecution, executionName, executionsOf } from './executions.ts';
import { campaignResources, readMeta } from './meta.ts';
import { campaignNotFound } from './stop.ts';

export interface Resumed {
  readonly campaignId: string;
  readonly status: 'RUNNING' | 'ENQUEUEING';
  readonly resumedAt: string;
  readonly baselineSucceeded: number;
  readonly baselineFailed: number;
  /** How the execution was brought back. */
  readonly execution: { readonly action: 'redriven' | 'started'; readonly executionArn: string };
}

const ENDED = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);
const ATTEMPTS = 5;

export async function resumeCampaign(target: Target, campaignId: string, now: number): Promise<Resumed> {
  const { tableName, stateMachineArn } = campaignResources(target);
  const first = await readMeta(target, campaignId);
  if (!first) throw campaignNotFound(campaignId);
  if (first.status !== 'STOPPED') {
    throw new RefusedError(
      `campaign ${campaignId} is ${first.status}, not STOPPED: there is nothing to resume`,
    );
  }
  const [latest] = await executionsOf(target, stateMachineArn, campaignId);
  if (!latest) {
    throw new RefusedError(`campaign ${campaignId} has no execution of ${stateMachineArn} to resume`, {
      hint: 'executions are kept for 90 days after they end',
    });
  }
  if (latest.status === 'RUNNING' || latest.status === 'PENDING_REDRIVE') {
    throw new RefusedError(
      `the execution of campaign ${campaignId} is still ${latest.status}: it stops at its next pacer turn`,
      { hint: 'resume once "recert campaigns show" says its execution FAILED (within about a minute)' },
    );
  }
  const resumedAt = new Date(now).toISOString();
  // The counters move while rotations finish: the baseline is taken and written in one conditional
  // update, read again on a race.
  let meta = first;
  for (let attempt = 1; ; attempt += 1) {
    const status = meta.enqueueDone === true ? 'RUNNING' : 'ENQUEUEING';
    const counterCondition = (name: 'succeeded' | 'failed', placeholder: string): string =>
      meta[name] === 0
        ? `(attribute_not_exists(${name}) OR ${name} = ${placeholder})`
        : `${name} = ${placeholder}`;
    try {
      await target.db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { campaignId, entry: META_ENTRY },
          UpdateExpression:
            'SET #status = :status, resumedAt = :at, updatedAt = :at, baselineSucceeded = :s, baselineFailed = :f ' +
            'REMOVE stopReason, stoppedAt',
          ConditionExpression: `#status = :stopped AND ${counterCondition('succeeded', ':s')} AND ${counterCondition('failed', ':f')}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': status,
            ':stopped': 'STOPPED',
            ':at': resumedAt,
            ':s': meta.succeeded,
            ':f': meta.failed,
          },
        }),
      );
      const execution = await restart(target, stateMachineArn, latest);
      return {
        campaignId,
        status,
        resumedAt,
        baselineSucceeded: meta.succeeded,
        baselineFailed: meta.failed,
        execution,
      };
    } catch (error) {
      if (!isNamed(error, 'ConditionalCheckFailedException') || attempt >= ATTEMPTS) throw error;
      const again = await readMeta(target, campaignId);
      if (!again) throw campaignNotFound(campaignId);
      if (again.status !== 'STOPPED') {
        throw new RefusedError(`campaign ${campaignId} became ${again.status} meanwhile: nothing to resume`);
      }
      meta = again;
    }
  }
}

/** Redrives the latest execution; past the redrive window, starts the next generation instead. */
async function restart(
  target: Target,
  stateMachineArn: string,
  latest: CampaignExecution,
): Promise<Resumed['execution']> {
  if (ENDED.has(latest.status)) {
    try {
      await target.sfn.send(new RedriveExecutionCommand({ executionArn: latest.executionArn }));
      return { action: 'redriven', executionArn: latest.executionArn };
    } catch (error) {
      if (!isNamed(error, 'ExecutionNotRedrivable')) {
        throw new OperationFailedError(
          `campaign ${latest.campaignId} is marked running again, but its execution ${latest.executionArn} could not be redriven: ${errorMessage(error)}`,
          { cause: error, hint: `run "recert campaigns resume ${latest.campaignId}" again once it is fixed` },
        );
      }
    }
  }
  const described = await target.sfn.send(
    new DescribeExecutionCommand({ executionArn: latest.executionArn }),
  );
  const input: unknown = JSON.parse(described.input ?? '{}');
  const generation = latest.generation + 1;
  const name = executionName(latest.campaignId, generation);
  const out = await target.sfn.send(
    new StartExecutionCommand({
      stateMachineArn,
      name,
      input: JSON.stringify({ ...(isObject(input) ? input : {}), generation }),
    }),
  );
  return { action: 'started', executionArn: out.executionArn ?? name };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
