import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { PublicRecord } from '../../cli/rotations/present.ts';

export interface NextStep {
  readonly text: string;
  /** The console action that takes it, when there is one. */
  readonly action?: 'redrive' | 'abandon' | 'rotate';
}

/**
 * What an operator does next for a rotation in this state, with the CLI command that does it: the
 * same advice `recert redrive` and `recert abandon` give when they refuse.
 */
export function nextStep(
  record: PublicRecord,
  execution: DescribeExecutionCommandOutput | undefined,
): NextStep {
  const thing = record.thingName;
  switch (record.status) {
    case 'SUCCEEDED':
      return { text: 'Nothing: the device uses its new certificate and the old one is retired.' };
    case 'ABANDONED':
      return {
        text: `Abandoned by an operator. Start over with "recert rotate ${thing} --fresh".`,
        action: 'rotate',
      };
    case 'IN_PROGRESS':
      return {
        text:
          `In flight at phase ${record.phase}: wait for the device. To stop it and revoke the certificate it ` +
          `issued, "recert abandon ${thing}".`,
        action: 'abandon',
      };
    default: {
      if (execution?.redriveStatus === 'REDRIVABLE') {
        return {
          text: `Fix the cause shown below, then "recert redrive ${thing}": it resumes at the step that failed.`,
          action: 'redrive',
        };
      }
      const why = execution?.redriveStatusReason ? ` (${execution.redriveStatusReason})` : '';
      return {
        text: `It cannot be redriven${why}: start a new rotation with "recert rotate ${thing} --fresh".`,
        action: 'rotate',
      };
    }
  }
}
