import { apiError } from './errors.ts';

/** ARNs and names as the Step Functions API builds and checks them. */

export const machineArn = (region: string, account: string, name: string): string =>
  `arn:aws:states:${region}:${account}:stateMachine:${name}`;

export const executionArn = (region: string, account: string, machineName: string, name: string): string =>
  `arn:aws:states:${region}:${account}:execution:${machineName}:${name}`;

// Whitespace, brackets, wildcards, special and control characters are not allowed in names.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

/** Refuses a name Step Functions would refuse (1 to 80 characters, none of the forbidden ones). */
export const checkName = (name: string, what: string): void => {
  if (name.length < 1 || name.length > 80) {
    throw apiError('InvalidName', `Invalid Name: '${name}' (${what} names must be 1 to 80 characters long)`);
  }
  if (FORBIDDEN.test(name)) {
    throw apiError(
      'InvalidName',
      `Invalid Name: '${name}' (${what} names cannot contain whitespace, brackets, wildcards or special characters)`,
    );
  }
};

const MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]+)$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):execution:([^:]+):([^:]+)$/;

export const checkMachineArn = (arn: unknown, field = 'stateMachineArn'): string => {
  if (typeof arn !== 'string' || !MACHINE_ARN.test(arn)) {
    throw apiError('InvalidArn', `Invalid Arn: '${String(arn)}' is not a state machine ARN (${field})`);
  }
  return arn;
};

export const checkExecutionArn = (arn: unknown, field = 'executionArn'): string => {
  if (typeof arn !== 'string' || !EXECUTION_ARN.test(arn)) {
    throw apiError('InvalidArn', `Invalid Arn: '${String(arn)}' is not an execution ARN (${field})`);
  }
  return arn;
};
