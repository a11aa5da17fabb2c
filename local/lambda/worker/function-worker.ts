/**
 * One worker thread of the local Lambda service: builds the handlers once (its own SDK clients, the same
 * local endpoints) and runs the invocations the main thread sends.
 */
import '../xray-manual-mode.ts';
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import type { LambdaHandler } from '../registry.ts';
import { FlushProfileRequest, InvokeRequest, type WorkerReply, WorkerStart } from './messages.ts';
import { ThreadProfiler } from './thread-profiler.ts';
import { workerLogs } from './worker-logs.ts';

type Factory = (init: unknown) => Promise<Record<string, LambdaHandler>>;

function isFactory(value: unknown): value is Factory {
  return typeof value === 'function';
}

function contextFor(request: InvokeRequest): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: request.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: request.functionName,
    memoryLimitInMB: '256',
    awsRequestId: request.requestId,
    logGroupName: `/aws/lambda/${request.functionName}`,
    logStreamName: `local/${request.requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, request.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('function-worker.ts runs as a worker thread only');
  const start = WorkerStart.parse(workerData);
  // Started before the functions load, so that their start is in the profile too.
  let profiler = start.cpuProfileDir ? await ThreadProfiler.start(start.cpuProfileDir) : undefined;
  const module: Record<string, unknown> = await import(start.factoryModule);
  const factory = module[start.factoryExport];
  if (!isFactory(factory)) {
    throw new Error(`${start.factoryModule} does not export a function ${start.factoryExport}`);
  }
  const built = await factory(start.init);
  const logs = start.captureLogs ? workerLogs((message) => port.postMessage(message)) : undefined;
  const handlers = logs ? logs.wrapAll(built) : built;
  // The lines an invocation wrote go before its result, so they are kept once it has returned.
  const reply = (message: WorkerReply): void => {
    logs?.flush();
    port.postMessage(message);
  };

  port.on('message', (raw: unknown) => {
    if (FlushProfileRequest.safeParse(raw).success) {
      const stopping = profiler;
      profiler = undefined;
      void (stopping ? stopping.stop('functions-worker') : Promise.resolve(null)).then(
        (path) => reply({ kind: 'profile-written', path }),
        () => reply({ kind: 'profile-written', path: null }),
      );
      return;
    }
    const parsed = InvokeRequest.safeParse(raw);
    if (!parsed.success) return;
    const request = parsed.data;
    const handler = handlers[request.functionName];
    if (!handler) {
      reply({
        kind: 'error',
        id: request.id,
        errorName: 'ResourceNotFoundException',
        errorMessage: `Function not found in the worker: ${request.functionName}`,
      });
      return;
    }
    handler(request.event, contextFor(request)).then(
      (value) => {
        try {
          reply({ kind: 'result', id: request.id, value });
        } catch (error) {
          // A result that cannot cross (a function, a class instance) is the function's fault.
          reply({
            kind: 'error',
            id: request.id,
            errorName: 'Runtime.InvalidResult',
            errorMessage: error instanceof Error ? error.message : String(error),
          });
        }
      },
      (error: unknown) =>
        reply({
          kind: 'error',
          id: request.id,
          errorName: error instanceof Error ? error.name || 'Error' : 'Error',
          errorMessage: error instanceof Error ? error.message : String(error),
        }),
    );
  });
  reply({ kind: 'ready', functionNames: Object.keys(handlers) });
}

await main();
