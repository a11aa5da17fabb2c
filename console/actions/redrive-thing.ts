import type { Target } from '../../cli/index.ts';
import { type Redriven, RefusedError, redriveExecution, requireRecord } from '../../cli/index.ts';

/**
 * `recert redrive <thing>` without its printing: the refusal of an abandoned rotation lives in the
 * CLI command module (cli/commands/redrive.ts), so it is repeated here word for word; the redrive
 * itself is the CLI's `redriveExecution`.
 */
export async function redriveThing(target: Target, thing: string): Promise<Redriven> {
  const record = await requireRecord(target, thing);
  if (record.status === 'ABANDONED') {
    throw new RefusedError(`the rotation of ${thing} was abandoned by an operator`, {
      hint: `start a new rotation with "recert rotate ${thing} --fresh"`,
    });
  }
  return redriveExecution(target, record.executionArn, thing);
}
