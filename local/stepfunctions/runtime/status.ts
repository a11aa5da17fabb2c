import { randomUUID } from 'node:crypto';
import { HISTORY_LIMIT } from '../limits.ts';
import type { Execution } from '../model.ts';
import { iso } from '../query/context.ts';
import type { StatusChangeEvent } from '../status-event.ts';
import type { Runtime } from './runtime.ts';

/** Whether an execution can be redriven, and its status-change events ("Step Functions Execution Status Change"). */

export const REDRIVE_WINDOW_MS = 14 * 24 * 3600 * 1000;
export const MAX_REDRIVES = 1000;
export const MAX_EXECUTION_MS = 365 * 24 * 3600 * 1000;

/** Whether RedriveExecution would accept this execution, with AWS's reasons when it would not. */
export const redriveStatus = (rt: Runtime, exec: Execution): { status: string; reason?: string } => {
  const r = exec.record;
  const refuse = (reason: string) => ({ status: 'NOT_REDRIVABLE', reason });
  if (r.status === 'RUNNING') return refuse('Execution is RUNNING and cannot be redriven.');
  if (r.status === 'SUCCEEDED') return refuse('Execution is SUCCEEDED and cannot be redriven.');
  if (rt.machines.get(r.machineArn)?.type === 'EXPRESS')
    return refuse('Express executions cannot be redriven.');
  if (r.stopDate !== undefined && rt.clock.now() - r.stopDate > REDRIVE_WINDOW_MS) {
    return refuse('Execution redrivable period exceeded.');
  }
  if (exec.events.length >= HISTORY_LIMIT) return refuse('Execution history event limit exceeded.');
  if (rt.clock.now() - r.startDate > MAX_EXECUTION_MS)
    return refuse('Execution has exceeded the max execution time.');
  if (r.redriveCount >= MAX_REDRIVES) return refuse(`Execution has been redriven ${MAX_REDRIVES} times.`);
  return { status: 'REDRIVABLE' };
};

/** The status-change event of the execution as it stands now, or undefined when nobody listens. */
export const statusEvent = (rt: Runtime, exec: Execution): StatusChangeEvent | undefined => {
  if (rt.listeners.size === 0) return undefined;
  const r = exec.record;
  const redrive = redriveStatus(rt, exec);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: rt.accountId,
    time: iso(rt.clock.now()).replace(/\.\d{3}Z$/, 'Z'),
    region: rt.region,
    resources: [r.arn],
    detail: {
      executionArn: r.arn,
      stateMachineArn: r.machineArn,
      name: r.name,
      status: r.status,
      startDate: r.startDate,
      stopDate: r.stopDate ?? null,
      input: r.input,
      inputDetails: { included: true },
      output: r.output ?? null,
      outputDetails: r.output !== undefined ? { included: true } : null,
      error: r.error ?? null,
      cause: r.cause ?? null,
      redriveCount: r.redriveCount,
      redriveDate: r.redriveDate ?? null,
      redriveStatus: redrive.status,
      redriveStatusReason: redrive.reason ?? '',
      stateMachineVersionArn: null,
      stateMachineAliasArn: null,
    },
  };
};

export const deliverStatus = (rt: Runtime, event: StatusChangeEvent | undefined): void => {
  if (event === undefined) return;
  for (const listener of rt.listeners) {
    try {
      listener(event);
    } catch {
      // A listener's failure is its own; the engine goes on.
    }
  }
};

/** Sends the execution's current status, once what it reports is durable. */
export const publishStatus = async (rt: Runtime, exec: Execution): Promise<void> => {
  const event = statusEvent(rt, exec);
  await rt.store.flush();
  deliverStatus(rt, event);
};
