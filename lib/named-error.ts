/**
 * The base of an Error class whose `name` is fixed, for callers and tests to match on:
 * `export class QuotaError extends namedError('QuotaError') {}`.
 */
export function namedError<const N extends string>(name: N) {
  return class extends Error {
    override readonly name: N = name;
  };
}
