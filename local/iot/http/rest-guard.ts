/** Route guards: the engine errors a service's routes throw, answered as the exceptions AWS names. */
import { RestError, type RestResponse } from '../interfaces.ts';

/** One engine error class and the restJson1 error AWS answers it with. */
export interface RestErrorMapping {
  readonly type: abstract new (...args: never[]) => Error;
  readonly status: number;
  readonly code: string;
  /** AWS's message, from the engine's; the engine's own when absent. */
  readonly message?: (error: Error) => string;
}

export type RestGuard = (work: () => Promise<RestResponse> | RestResponse) => Promise<RestResponse>;

/** Runs a route's work; the first mapping whose class the error is an instance of names the answer. */
export function restGuard(mappings: readonly RestErrorMapping[]): RestGuard {
  return async (work) => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof RestError) throw error;
      for (const { type, status, code, message } of mappings) {
        if (error instanceof type) {
          throw new RestError(status, code, message?.(error) ?? error.message, { cause: error });
        }
      }
      throw error;
    }
  };
}
