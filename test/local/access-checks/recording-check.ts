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
  /** The calls made for one operation. */
  callsFor(operation: string): CheckCall[];
}

export function recordingCheck(): RecordingCheck {
  const calls: CheckCall[] = [];
  let refused: { operation: string; failure: AuthFailure } | undefined;
  return {
    calls,
    check: (request, operation, input) => {
      calls.push({ request, operation, input });
      return refused && refused.operation === operation ? refused.failure : undefined;
    },
    refuse(operation, failure) {
      refused = operation === undefined || failure === undefined ? undefined : { operation, failure };
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
