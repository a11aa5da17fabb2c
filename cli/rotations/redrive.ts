import { DescribeExecutionCommand, RedriveExecutionCommand } from '@aws-sdk/client-sfn';
import { errorMessage, isNamed, NotFoundError, RefusedError } from '../errors.ts';
import type { Target } from '../target/target.ts';

export interface Redriven {
  readonly executionArn: string;
  readonly redriveDate: string | undefined;
}

/**
 * What to do instead of a redrive, from why the execution cannot be redriven: Step Functions says
 * why in `redriveStatusReason`; the advice depends on the execution's status.
 */
async function notRedrivable(
  target: Target,
  executionArn: string,
  thing: string | undefined,
  cause: unknown,
) {
  const described = await target.sfn
    .send(new DescribeExecutionCommand({ executionArn }))
    .catch(() => undefined);
  const status = described?.status;
  const reason = described?.redriveStatusReason ?? errorMessage(cause);
  const rotate = `recert rotate ${thing ?? '<thing>'}`;
  let hint: string;
  if (status === 'SUCCEEDED') hint = 'it succeeded: there is nothing to redrive';
  else if (status === 'RUNNING' || status === 'PENDING_REDRIVE') {
    hint = `it is still running: wait for it, or stop it with "recert abandon ${thing ?? '<thing>'}"`;
  } else if (/redrivable period|14 days/i.test(reason)) {
    hint = `the 14-day redrive window has passed: start a new rotation with "${rotate} --fresh"`;
  } else hint = `start a new rotation with "${rotate} --fresh"`;
  return new RefusedError(
    `execution ${executionArn} cannot be redriven${status ? ` (${status})` : ''}: ${reason}`,
    {
      cause,
      hint,
    },
  );
}

/**
 * RedriveExecution: the execution resumes at the step that failed and keeps its ARN. A refusal
 * becomes a RefusedError that says why and what to do instead.
 */
export async function redriveExecution(
  target: Target,
  executionArn: string,
  thing?: string,
): Promise<Redriven> {
  try {
    const out = await target.sfn.send(new RedriveExecutionCommand({ executionArn }));
    return { executionArn, redriveDate: out.redriveDate?.toISOString() };
  } catch (error) {
    if (isNamed(error, 'ExecutionNotRedrivable'))
      throw await notRedrivable(target, executionArn, thing, error);
    if (isNamed(error, 'ExecutionDoesNotExist')) {
      throw new NotFoundError(`execution ${executionArn} does not exist`, {
        cause: error,
        hint: 'executions are kept for 90 days after they end',
      });
    }
    throw error;
  }
}
