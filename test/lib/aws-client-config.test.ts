import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AWS_CLIENT_RETRY_HEADROOM,
  awsClientConfig,
  backoffCeilingMs,
  CLI_RETRY_POLICY,
  cliClientConfig,
  fullJitterDelayMs,
  InvalidRetryPolicyError,
  LAMBDA_RETRY_POLICY,
  lambdaClientConfig,
  type RetryPolicy,
  retryStrategyFor,
  worstCaseRetryDelayMs,
} from '../../lib/aws/client-config.ts';
import { FUNCTIONS } from '../../workflows/rotate-device/functions.ts';

const policyArb: fc.Arbitrary<RetryPolicy> = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 12 }),
  baseDelayMs: fc.integer({ min: 0, max: 2_000 }),
  maxDelayMs: fc.integer({ min: 0, max: 60_000 }),
});
const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const throttled = { errorType: 'THROTTLING' as const };

/** Retries a call the strategy's way until it refuses; returns how many attempts were made in all. */
async function attemptsUntilGivenUp(strategy: ReturnType<typeof retryStrategyFor>): Promise<number> {
  let token = await strategy.acquireInitialRetryToken('');
  let attempts = 1;
  for (;;) {
    try {
      token = await strategy.refreshRetryTokenForRetry(token, throttled);
      attempts++;
    } catch {
      return attempts;
    }
  }
}

describe('AWS client retry config', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('keeps every delay within [0, min(cap, base * 2^n)]: full jitter', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 1, max: 40 }), randomArb, (policy, retry, r) => {
        // Act
        const delay = fullJitterDelayMs(policy, retry, () => r);

        // Assess
        const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(ceiling);
        expect(backoffCeilingMs(policy, retry)).toBe(ceiling);
      }),
    );
  });

  it('spreads delays over the whole window rather than around its ceiling', () => {
    // Prepare: a random source that walks [0, 1) evenly.
    let i = 0;
    const even = () => (i++ % 100) / 100;

    // Act
    const delays = Array.from({ length: 100 }, () => fullJitterDelayMs(LAMBDA_RETRY_POLICY, 3, even));

    // Assess: retry 3's window is [0, 800] ms; full jitter covers it from the bottom to the top.
    expect(Math.min(...delays)).toBe(0);
    expect(Math.max(...delays)).toBeGreaterThanOrEqual(790);
    expect(new Set(delays).size).toBe(100);
  });

  it('gives up after the configured number of attempts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 10 }), async (maxAttempts) => {
        // Prepare: no wait between attempts (random 0), so only the count matters.
        const strategy = retryStrategyFor({ maxAttempts, baseDelayMs: 100, maxDelayMs: 1_000 }, () => 0);

        // Act
        const attempts = await attemptsUntilGivenUp(strategy);

        // Assess
        expect(attempts).toBe(maxAttempts);
      }),
      { numRuns: 30 },
    );
  });

  it('makes the SDK wait the full-jitter delay before each retry', async () => {
    // Prepare: a tiny window so the real waits are milliseconds; the SDK waits with setTimeout.
    const policy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1, maxDelayMs: 8 };
    const r = 0.75;
    const waits: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      waits.push(ms ?? 0);
      return realSetTimeout(fn, ms);
    }) as typeof setTimeout);

    // Act
    const attempts = await attemptsUntilGivenUp(retryStrategyFor(policy, () => r));

    // Assess: retries 1..5 wait floor(0.75 * min(8, 2^n)) = 1, 3, 6, 6, 6 ms.
    expect(attempts).toBe(6);
    expect(waits).toEqual([1, 3, 6, 6, 6]);
  });

  it('stops retrying when the retry quota runs dry, leaving the caller (the state machine) to retry', async () => {
    // Prepare: one client's strategy; every call throttled to its last attempt. Each retry after a
    // throttle costs 5 of the quota's 500 tokens, so 100 such retries drain it.
    const strategy = retryStrategyFor(LAMBDA_RETRY_POLICY, () => 0);
    const retriesPerCall = LAMBDA_RETRY_POLICY.maxAttempts - 1;
    let fullyRetriedCalls = 0;
    while (
      fullyRetriedCalls < 1_000 &&
      (await attemptsUntilGivenUp(strategy)) === LAMBDA_RETRY_POLICY.maxAttempts
    ) {
      fullyRetriedCalls++;
    }

    // Act
    const attemptsWhenDry = await attemptsUntilGivenUp(strategy);
    const fresh = await attemptsUntilGivenUp(retryStrategyFor(LAMBDA_RETRY_POLICY, () => 0));

    // Assess: the first failure now reaches the caller; another client's strategy still retries.
    expect(fullyRetriedCalls).toBe(Math.floor(100 / retriesPerCall));
    expect(attemptsWhenDry).toBe(1);
    expect(fresh).toBe(LAMBDA_RETRY_POLICY.maxAttempts);
  });

  it('keeps a Lambda call that retries to the end well inside the shortest function timeout', () => {
    // Prepare
    const shortestTimeoutMs = Math.min(...Object.values(FUNCTIONS).map((f) => f.timeoutSeconds * 1000));

    // Act
    const worstCase = worstCaseRetryDelayMs(LAMBDA_RETRY_POLICY);

    // Assess: even if as many calls as the headroom allows all retried to the end, the function
    // would still finish in time; the CLI is more patient.
    expect(worstCase).toBe(200 + 400 + 800 + 1000 + 1000 + 1000);
    expect(worstCase * AWS_CLIENT_RETRY_HEADROOM).toBeLessThan(shortestTimeoutMs);
    expect(worstCaseRetryDelayMs(CLI_RETRY_POLICY)).toBeGreaterThan(worstCase);
    expect(CLI_RETRY_POLICY.maxAttempts).toBeGreaterThan(LAMBDA_RETRY_POLICY.maxAttempts);
  });

  it('gives every client its own strategy, with the policy attempts', () => {
    // Act
    const a = lambdaClientConfig();
    const b = lambdaClientConfig();
    const cli = cliClientConfig();

    // Assess
    expect(a.retryStrategy).not.toBe(b.retryStrategy);
    expect(a.maxAttempts).toBe(LAMBDA_RETRY_POLICY.maxAttempts);
    expect(cli.maxAttempts).toBe(CLI_RETRY_POLICY.maxAttempts);
  });

  it('refuses a policy that cannot work, naming what is wrong', () => {
    // Act
    const act = () => awsClientConfig({ policy: { maxAttempts: 0, baseDelayMs: -1, maxDelayMs: 10 } });

    // Assess
    expect(act).toThrow(InvalidRetryPolicyError);
    expect(act).toThrow(/maxAttempts must be an integer >= 1; baseDelayMs must be >= 0/);
  });
});
