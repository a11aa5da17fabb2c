/**
 * How every AWS SDK client recert builds retries: exponential backoff with full jitter, a retry
 * strategy (and so a retry-token bucket) per client. lib/README.md says what the SDK does with it.
 */
import { ConfiguredRetryStrategy } from '@smithy/util-retry';

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  readonly maxAttempts: number;
  /** `base` of the backoff: the ceiling of retry n's delay is `base * 2^n`, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  /** `cap` of the backoff: no single delay is longer. */
  readonly maxDelayMs: number;
}

/**
 * Lambda functions: delays of at most 0.2, 0.4, 0.8, 1, 1 and 1 s, 4.4 s in all for a call that fails
 * every attempt. A burst of 1.6 times an IoT quota of 10 TPS gets through with these (about 0.03% of
 * such bursts leave one call failed, in a simulation; with 5 attempts and a 1.5 s window it was 28%).
 * Waiting inside the function is also the cheaper retry: ten seconds of a small Lambda cost about what
 * one state transition does. The worst case stays well inside the timeouts, see below.
 */
export const LAMBDA_RETRY_POLICY: RetryPolicy = { maxAttempts: 7, baseDelayMs: 100, maxDelayMs: 1_000 };

/**
 * How many AWS calls in a row a function with the shortest timeout (30 s) may make, each throttled to
 * its last attempt, and still end in time. The 30 s functions make at most five; the ones that make
 * the most (issue, revoke and retire, about ten) have 60 s.
 */
export const AWS_CLIENT_RETRY_HEADROOM = 6;

/**
 * The `recert` command: an operator waits a little longer rather than see a throttle, and nothing
 * else retries for it. Delays of at most 0.2, 0.4, 0.8, 1.6, 3.2, 5 and 5 s: 16.2 s in all.
 */
export const CLI_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

export class InvalidRetryPolicyError extends Error {
  override readonly name = 'InvalidRetryPolicyError';
}

function checkPolicy(policy: RetryPolicy): void {
  const problems = [
    Number.isInteger(policy.maxAttempts) && policy.maxAttempts >= 1
      ? ''
      : 'maxAttempts must be an integer >= 1',
    Number.isFinite(policy.baseDelayMs) && policy.baseDelayMs >= 0 ? '' : 'baseDelayMs must be >= 0',
    Number.isFinite(policy.maxDelayMs) && policy.maxDelayMs >= 0 ? '' : 'maxDelayMs must be >= 0',
  ].filter(Boolean);
  if (problems.length > 0) {
    throw new InvalidRetryPolicyError(
      `invalid retry policy ${JSON.stringify(policy)}: ${problems.join('; ')}`,
    );
  }
}

/** The longest delay retry `retry` (1 for the first retry) may wait: `min(cap, base * 2^retry)`. */
export function backoffCeilingMs(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
}

/** The delay before retry `retry` with full jitter; `random` returns a number in [0, 1). */
export function fullJitterDelayMs(policy: RetryPolicy, retry: number, random: () => number): number {
  return Math.floor(random() * backoffCeilingMs(policy, retry));
}

/** The most a call can spend waiting between its attempts (every attempt throttled, longest delays). */
export function worstCaseRetryDelayMs(policy: RetryPolicy): number {
  let total = 0;
  for (let retry = 1; retry < policy.maxAttempts; retry++) total += backoffCeilingMs(policy, retry);
  return total;
}

/**
 * The SDK's configured strategy, taking a call without a retry scope. The ACM PCA client (whose newest
 * release is older than recert's other clients) brings an older retry middleware that asks for the
 * first token with no scope, where the current strategy reads the scope's text: every ACM PCA call
 * failed with a TypeError before it was sent. No scope is the empty one.
 */
export class RecertRetryStrategy extends ConfiguredRetryStrategy {
  override acquireInitialRetryToken(retryTokenScope?: string) {
    return super.acquireInitialRetryToken(retryTokenScope ?? '');
  }
}

/**
 * A fresh SDK retry strategy for one client. `ConfiguredRetryStrategy` numbers retries from 1 when it
 * asks for a delay, which is the `n` of the formula; it keeps the SDK's retry quota.
 */
export function retryStrategyFor(
  policy: RetryPolicy,
  random: () => number = Math.random,
): ConfiguredRetryStrategy {
  checkPolicy(policy);
  return new RecertRetryStrategy(policy.maxAttempts, (retry) => fullJitterDelayMs(policy, retry, random));
}

/** The shared part of an SDK client's configuration, to spread into `new XxxClient({...})`. */
export interface AwsClientRetryConfig {
  readonly maxAttempts: number;
  readonly retryStrategy: ConfiguredRetryStrategy;
  /**
   * Resolve each command's middleware stack once per client and command class instead of on every
   * call. recert adds no per-call middleware and passes no per-call options, which is what the SDK
   * asks of this option; it spares a warm function a sizeable share of the CPU of each call.
   */
  readonly cacheMiddleware: boolean;
}

export interface AwsClientConfigOptions {
  readonly policy?: RetryPolicy;
  /** For tests: a seeded or fixed source of jitter. */
  readonly random?: () => number;
}

/**
 * Config for one client; call it once per client (the retry quota lives in the strategy). The SDK only
 * uses `maxAttempts` for its request header here: the strategy enforces the same number.
 */
export function awsClientConfig(options: AwsClientConfigOptions = {}): AwsClientRetryConfig {
  const policy = options.policy ?? LAMBDA_RETRY_POLICY;
  return {
    maxAttempts: policy.maxAttempts,
    retryStrategy: retryStrategyFor(policy, options.random),
    cacheMiddleware: true,
  };
}

/** What every Lambda function's clients use. */
export function lambdaClientConfig(): AwsClientRetryConfig {
  return awsClientConfig({ policy: LAMBDA_RETRY_POLICY });
}

/** What the `recert` command's clients use. */
export function cliClientConfig(): AwsClientRetryConfig {
  return awsClientConfig({ policy: CLI_RETRY_POLICY });
}

/** What `withoutCallLogging` needs of a client. */
interface WithMiddlewareStack {
  readonly middlewareStack: { remove(toRemove: string): boolean };
}

/**
 * Takes the SDK's logger middleware out of a client. On every call it copies the input and the output
 * with their sensitive members masked, to hand them to the client's logger; recert's clients have the
 * SDK's default logger, which drops them, and recert logs what it does itself. So the copies cost CPU
 * and nothing else: about an eighth of a DynamoDB UpdateItem that returns a rotation record
 * (`npx tsx bench/dynamodb-client.ts`). Calls and their errors are otherwise unchanged.
 */
export function withoutCallLogging<C extends WithMiddlewareStack>(client: C): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
