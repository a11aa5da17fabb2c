/**
 * Worker threads for the local Lambda service, so the functions' own work runs on another core than the
 * services they call, which they still reach only through their endpoints.
 */

import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { namedError } from '../../../lib/named-error.ts';
import type { CapturedLine } from '../log-capture.ts';
import type { LambdaHandler } from '../registry.ts';
import { type FlushProfileRequest, type InvokeRequest, WorkerReply, type WorkerStart } from './messages.ts';

export interface FunctionWorkersOptions {
  /** Worker threads to start (invocations go to the least busy). */
  readonly count: number;
  /** The module (file URL) whose export builds the handlers in each worker, and what it is given. */
  readonly factoryModule: string;
  readonly factoryExport: string;
  readonly init: unknown;
  /** How long a worker may take to load the functions (real ms). */
  readonly startTimeoutMs?: number;
  /** Each worker writes a CPU profile of its thread here when the workers close (the benchmark's). */
  readonly cpuProfileDir?: string;
  /** When given, what the functions write in the workers comes here instead of the process's output. */
  readonly onLog?: (line: CapturedLine) => void;
}

export class FunctionWorkerError extends namedError('FunctionWorkerError') {}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

// Plain JavaScript: it registers the TypeScript loader before loading the worker.
const WORKER_URL = new URL('./bootstrap.mjs', import.meta.url);

function errorNamed(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

export class FunctionWorkers {
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly slots: readonly Slot[],
    private readonly names: ReadonlySet<string>,
    private readonly profiling = false,
    private readonly onLog?: (line: CapturedLine) => void,
  ) {}

  static async start(options: FunctionWorkersOptions): Promise<FunctionWorkers> {
    if (!Number.isInteger(options.count) || options.count < 1) {
      throw new RangeError(`function workers: count must be a whole number >= 1, not ${options.count}`);
    }
    const start: WorkerStart = {
      factoryModule: options.factoryModule,
      factoryExport: options.factoryExport,
      init: options.init,
      ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
      ...(options.onLog ? { captureLogs: true } : {}),
    };
    const started = await Promise.allSettled(
      Array.from({ length: options.count }, () => startOne(start, options.startTimeoutMs ?? 60_000)),
    );
    const slots = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.slot] : []));
    const failure = started.find((s) => s.status === 'rejected');
    if (failure) {
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
      throw new FunctionWorkerError('a function worker did not start', { cause: failure.reason });
    }
    const first = started[0];
    const names = first?.status === 'fulfilled' ? first.value.names : [];
    const workers = new FunctionWorkers(
      slots,
      new Set(names),
      options.cpuProfileDir !== undefined,
      options.onLog,
    );
    for (const slot of slots) workers.listen(slot);
    return workers;
  }

  /** Whether the workers run a function of this name. */
  has(functionName: string): boolean {
    return this.names.has(functionName);
  }

  /** A handler that runs the function in the least busy worker. */
  handler(functionName: string): LambdaHandler {
    return (event, context) =>
      this.invoke(functionName, event, Date.now() + context.getRemainingTimeInMillis());
  }

  invoke(functionName: string, event: unknown, deadline: number): Promise<unknown> {
    if (this.closed)
      return Promise.reject(errorNamed('Lambda.ServiceException', 'the local Lambda service is closed'));
    const slot = this.slots.reduce((best, s) => (s.pending.size < best.pending.size ? s : best));
    const id = this.nextId++;
    const request: InvokeRequest = {
      kind: 'invoke',
      id,
      functionName,
      requestId: randomUUID(),
      deadline,
      event,
    };
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      try {
        slot.worker.postMessage(request);
      } catch (error) {
        slot.pending.delete(id);
        reject(
          errorNamed('Lambda.InvalidRequestContentException', `the event cannot be sent: ${String(error)}`),
        );
      }
    });
  }

  /** Stops the workers; invocations still running fail as a stopped Lambda's would. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.profiling) await Promise.all(this.slots.map((slot) => flushProfile(slot.worker)));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
    for (const slot of this.slots) failAll(slot, 'the local Lambda service stopped');
  }

  private listen(slot: Slot): void {
    slot.worker.on('message', (raw: unknown) => {
      const parsed = WorkerReply.safeParse(raw);
      if (!parsed.success) return;
      const reply = parsed.data;
      if (reply.kind === 'log') for (const line of reply.lines) this.onLog?.(line);
      if (reply.kind !== 'result' && reply.kind !== 'error') return;
      const pending = slot.pending.get(reply.id);
      if (!pending) return;
      slot.pending.delete(reply.id);
      if (reply.kind === 'result') pending.resolve(reply.value);
      else pending.reject(errorNamed(reply.errorName, reply.errorMessage));
    });
    // A worker that dies takes its invocations with it, as a crashed Lambda runtime does.
    slot.worker.on('error', (error) => failAll(slot, `a function worker failed: ${error.message}`));
    slot.worker.on('exit', () => failAll(slot, 'a function worker exited'));
  }
}

/** Asks a profiling worker to write its profile, and waits for it (10 s at most) before it is stopped. */
function flushProfile(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, 10_000);
    function done(): void {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', done);
      resolve();
    }
    function onMessage(raw: unknown): void {
      const parsed = WorkerReply.safeParse(raw);
      if (parsed.success && parsed.data.kind === 'profile-written') done();
    }
    worker.on('message', onMessage);
    worker.on('exit', done);
    const request: FlushProfileRequest = { kind: 'flush-profile' };
    worker.postMessage(request);
  });
}

function failAll(slot: Slot, message: string): void {
  for (const pending of slot.pending.values()) pending.reject(errorNamed('Runtime.ExitError', message));
  slot.pending.clear();
}

function startOne(start: WorkerStart, timeoutMs: number): Promise<{ slot: Slot; names: string[] }> {
  // No inherited flags: the bootstrap brings its own loader, and a profiler flag is the parent's own.
  const worker = new Worker(WORKER_URL, { workerData: start, execArgv: [] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new FunctionWorkerError(`a function worker did not load within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (raw: unknown): void => {
      const parsed = WorkerReply.safeParse(raw);
      if (!parsed.success || parsed.data.kind !== 'ready') return;
      done();
      resolve({ slot: { worker, pending: new Map() }, names: parsed.data.functionNames });
    };
    const onError = (error: Error): void => {
      done();
      reject(new FunctionWorkerError(`a function worker failed to load: ${error.message}`, { cause: error }));
    };
    const onExit = (code: number): void => {
      done();
      reject(new FunctionWorkerError(`a function worker exited while loading (code ${code})`));
    };
    const done = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
