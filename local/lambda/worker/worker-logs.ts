/** A worker's function logs: captured in the worker's thread and sent to the main thread, which writes them. */
import { type CapturedLine, FunctionLogCapture } from '../log-capture.ts';
import type { LambdaHandler } from '../registry.ts';
import type { WorkerReply } from './messages.ts';

export interface WorkerLogs {
  /** The handlers, each with what it writes captured. */
  wrapAll(handlers: Record<string, LambdaHandler>): Record<string, LambdaHandler>;
  /** Sends the lines captured so far (before a reply, and at the latest on the next turn of the loop). */
  flush(): void;
}

export function workerLogs(send: (message: WorkerReply) => void): WorkerLogs {
  let pending: CapturedLine[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    send({ kind: 'log', lines });
  };
  const capture = new FunctionLogCapture((line) => {
    pending.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  return {
    wrapAll: (handlers) =>
      Object.fromEntries(
        Object.entries(handlers).map(([name, handler]) => [name, capture.wrap(name, handler)]),
      ),
    flush,
  };
}
