/** An access check for the server tests: it records every call and refuses one operation. */
import type { AccessCheck, AuthFailure, SignedHttpRequest } from '../../../local/iam/types.ts';

export interface CheckCall {
  readonly request: SignedHttpRequest;
  readonly operation: string;
  readonly input: unknown;
}

export interface RecordingCheck {
  readonly check: AccessCheck;
  readonly calls: CheckCall[];
  /** Which operation is refused (undefined: none), and with what; changeable between requests. */
  refuse(operation: string | undefined, failure?: AuthFailure): void;
  /**
   * Refuses `operation` as AWS refuses a request signed with a key it does not know, under the
   * service's code and status; returns that failure.
   */
  refuseUnknownKey(operation: string, code: string, status: number): AuthFailure;
  /** The calls made for one operation. */
  callsFor(operation: string): CheckCall[];
}

export function recordingCheck(): RecordingCheck {
  const calls: CheckCall[] = [];
  let refused: { operation: string; failure: AuthFailure } | undefined;
  const refuse = (operation: string | undefined, failure?: AuthFailure): void => {
    refused = operation === undefined || failure === undefined ? undefined : { operation, failure };
  };
  return {
    calls,
    check: (request, operation, input) => {
      calls.push({ request, operation, input });
      return refused && refused.operation === operation ? refused.failure : undefined;
    },
    refuse,
    refuseUnknownKey(operation, code, status) {
      const failure = { code, status, message: 'The security token included in the request is invalid.' };
      refuse(operation, failure);
      return failure;
    },
    callsFor: (operation) => calls.filter((call) => call.operation === operation),
  };
}

/** AWS's wording for an identity-policy refusal, for `action` on `resource`. */
export const deniedMessage = (action: string, resource: string): string =>
  `User: arn:aws:sts::000000000000:assumed-role/recert-test/session is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the request to be refused, but it succeeded');
}
