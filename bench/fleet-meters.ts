/**
 * Meters the benchmark puts on the local stack from outside, through public interfaces only: how
 * long the functions run and how many log bytes they write.
 */
import type { FunctionRegistry } from '../local/lambda/registry.ts';

/**
 * Sums each registered function's handler time: Lambda's billed duration only roughly (in-process, no
 * cold starts, on a machine shared with the stack and the fleet).
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
 * Counts the functions' log bytes on stdout and stderr (CloudWatch Logs ingests both on Lambda) and keeps
 * them off the output; other stderr output, such as a crash, still shows.
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
