/**
 * Meters the benchmark puts on the local stack from outside, through public interfaces only: how
 * long the functions run and how many log bytes they write.
 */
import type { FunctionRegistry } from '../local/lambda/registry.ts';

/**
 * Wraps every registered function so its handler's time is summed: in-process, so it stands for
 * Lambda's billed duration only roughly (no cold starts; calls to the local services are fast, but
 * the machine is shared with the rest of the stack and the fleet).
 */
export function timeFunctions(registry: FunctionRegistry): {
  totalMs(): number;
  byFunction(): Record<string, number>;
  reset(): void;
} {
  let total = 0;
  const byName = new Map<string, number>();
  for (const fn of registry.list()) {
    const inner = fn.handler;
    registry.register(
      fn.name,
      async (event, context) => {
        const started = performance.now();
        try {
          return await inner(event, context);
        } finally {
          // Lambda bills each invocation rounded up to the millisecond.
          const ms = Math.ceil(performance.now() - started);
          total += ms;
          byName.set(fn.name, (byName.get(fn.name) ?? 0) + ms);
        }
      },
      fn.timeoutSeconds,
    );
  }
  return {
    totalMs: () => total,
    byFunction: () => Object.fromEntries(byName),
    reset: () => {
      total = 0;
      byName.clear();
    },
  };
}

/**
 * The functions' structured logs go to stdout and stderr (warnings, errors) as on Lambda, where
 * CloudWatch Logs ingests both: this counts their bytes and keeps them off the benchmark's output.
 * Other stderr output (a crash, a warning of Node's) still shows.
 */
export function countLogBytes(): { bytes(): number; restore(): void } {
  let bytes = 0;
  const originalOut = process.stdout.write;
  const originalErr = process.stderr.write;
  const sizeOf = (chunk: unknown): number =>
    typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk instanceof Uint8Array ? chunk.byteLength : 0;
  const swallow = (chunk: unknown, rest: unknown[]): boolean => {
    bytes += sizeOf(chunk);
    const callback = rest.find((r) => typeof r === 'function');
    if (typeof callback === 'function') queueMicrotask(() => callback());
    return true;
  };
  process.stdout.write = (chunk: unknown, ...rest: unknown[]): boolean => swallow(chunk, rest);
  const passErr = originalErr.bind(process.stderr);
  process.stderr.write = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text =
      typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString() : '';
    if (text.startsWith('{"level":')) return swallow(chunk, rest);
    return passErr(text);
  };
  return {
    bytes: () => bytes,
    restore: () => {
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
    },
  };
}
