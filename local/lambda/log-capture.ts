/**
 * What the Lambda runtime does with a function's stdout and stderr: each line written during an
 * invocation (Powertools' JSON lines among them) goes to the function's log, tagged with its name and
 * request id, instead of the process's output. In this thread, only writes made inside an invocation
 * (its async context) are taken; the rest of the process writes as before.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { LambdaHandler } from './registry.ts';

/** One line a function wrote, as CloudWatch Logs receives it from the runtime. */
export interface CapturedLine {
  /** Wall time of the write, in ms since the epoch. */
  readonly time: number;
  readonly functionName: string;
  readonly requestId: string;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

export type LogSink = (line: CapturedLine) => void;

interface Invocation {
  readonly functionName: string;
  readonly requestId: string;
  readonly sink: LogSink;
}

type Write = NodeJS.WriteStream['write'];

const invocation = new AsyncLocalStorage<Invocation>();
/** The streams' own `write`, while at least one capture is open in this thread. */
let originals: { stdout: Write; stderr: Write } | undefined;
let openCaptures = 0;

/** A function's log, as the runtime takes it: handlers wrapped by `wrap` write to `sink`. */
export class FunctionLogCapture {
  private closed = false;

  constructor(private readonly sink: LogSink) {
    if (openCaptures++ === 0) hookStreams();
  }

  /** The handler, run so that what it writes to stdout and stderr goes to this capture's sink. */
  wrap(functionName: string, handler: LambdaHandler): LambdaHandler {
    return (event, context) =>
      invocation.run({ functionName, requestId: context.awsRequestId, sink: this.sink }, () =>
        handler(event, context),
      );
  }

  /** Stops capturing; the last capture of the thread gives the streams their own `write` back. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (--openCaptures === 0) unhookStreams();
  }
}

function hookStreams(): void {
  originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = capturing('stdout', originals.stdout);
  process.stderr.write = capturing('stderr', originals.stderr);
}

function unhookStreams(): void {
  if (!originals) return;
  process.stdout.write = originals.stdout;
  process.stderr.write = originals.stderr;
  originals = undefined;
}

function capturing(stream: CapturedLine['stream'], original: Write): Write {
  const stdio = stream === 'stdout' ? process.stdout : process.stderr;
  return function write(this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
    const current = invocation.getStore();
    if (!current) return (original as (...args: unknown[]) => boolean).call(stdio, chunk, ...rest);
    const text =
      typeof chunk === 'string'
        ? chunk
        : chunk instanceof Uint8Array
          ? Buffer.from(chunk).toString('utf8')
          : String(chunk);
    const time = Date.now();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const captured = { time, functionName: current.functionName, requestId: current.requestId, stream };
      try {
        current.sink({ ...captured, text: line });
      } catch {
        // A log that cannot be kept never fails the function, as on Lambda.
      }
    }
    // The write is done as far as the caller can tell (stream.write(chunk, [encoding], [callback])).
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    if (callback) queueMicrotask(callback);
    return true;
  } as Write;
}
