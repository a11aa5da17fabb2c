import { isThingName } from '../../workflows/rotate-device/protocol.ts';
import { UsageError } from '../errors.ts';

const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:\s]+:[^:\s]+$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([^:\s]+)$/;

export const looksLikeArn = (text: string): boolean => text.startsWith('arn:');

/** A thing name, or a usage error that says what a thing name may hold. */
export function thingNameArg(text: string): string {
  if (!isThingName(text)) {
    throw new UsageError(
      `${JSON.stringify(text)} is not a valid thing name (1 to 128 of letters, digits, ':', '_', '-')`,
    );
  }
  return text;
}

/** An execution ARN, or a usage error showing the expected shape. */
export function executionArnArg(text: string): string {
  if (!EXECUTION_ARN.test(text)) {
    throw new UsageError(
      `${JSON.stringify(text)} is not a Step Functions execution ARN ` +
        '(arn:aws:states:<region>:<account>:execution:<state machine>:<execution name>)',
    );
  }
  return text;
}

/** The account of a state machine ARN: IoT ARNs of the same deployment share it. */
export function accountOf(stateMachineArn: string): string | undefined {
  return STATE_MACHINE_ARN.exec(stateMachineArn)?.[2];
}

/** The state machine an execution ARN belongs to, as its ARN. */
export function stateMachineOfExecution(executionArn: string): string | undefined {
  const m = /^(arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}):execution:([^:]+):[^:]+$/.exec(executionArn);
  return m ? `${m[1]}:stateMachine:${m[2]}` : undefined;
}
