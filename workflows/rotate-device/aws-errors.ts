import { TransientAwsError } from './errors.ts';

/** The error name the SDK gives an AWS error (its exception shape), or the JS error's name. */
export function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return 'UnknownError';
}

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'InternalFailureException',
  'InternalServerErrorException',
  'InternalServerError',
  'InternalFailure',
  'LimitExceededException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

/** Whether an AWS call failed in a way that a later retry may fix (throttle, 5xx, network). */
export function isTransient(error: unknown): boolean {
  if (TRANSIENT_NAMES.has(errorName(error))) return true;
  const status = httpStatus(error);
  if (status !== undefined && status >= 500) return true;
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE';
}

/**
 * Runs one AWS call; a transient failure becomes `TransientAwsError` (which the state machine
 * retries with backoff and jitter), anything else is rethrown as is.
 */
export async function awsCall<T>(label: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isTransient(error)) {
      throw new TransientAwsError(`${label} failed transiently: ${errorName(error)}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Runs one AWS call whose failure is classified like `awsCall`, after `onRejected` ran for a failure
 * the service answered with a 4xx status: a definite "no", nothing was done.
 */
export async function awsCallRejectable<T>(
  label: string,
  call: () => Promise<T>,
  onRejected: (error: unknown) => Promise<void>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const status = httpStatus(error);
    if (status !== undefined && status >= 400 && status < 500) await onRejected(error);
    if (isTransient(error)) {
      throw new TransientAwsError(`${label} failed transiently: ${errorName(error)}`, { cause: error });
    }
    throw error;
  }
}

export function isNamed(error: unknown, ...names: string[]): boolean {
  return names.includes(errorName(error));
}
