/**
 * What the local Lambda service and its worker threads say to each other. Events and results cross
 * as structured clones, as a Lambda event and result cross the wire as JSON.
 */
import { z } from 'zod';

/** Given to a worker at start: which module builds its handlers, and what that module needs. */
export const WorkerStart = z.object({
  /** File URL of the module that builds the handlers. */
  factoryModule: z.string().min(1),
  /** Its export: `(init: unknown) => Promise<Record<string, LambdaHandler>>`. */
  factoryExport: z.string().min(1),
  /** Passed to the factory as it is (plain data: endpoints, names, clock origin). */
  init: z.unknown(),
  /** When set, the worker records a CPU profile of its thread and writes it here when asked. */
  cpuProfileDir: z.string().min(1).optional(),
  /** When set, what the functions write goes back to the main thread as `log` replies (log-capture.ts). */
  captureLogs: z.boolean().optional(),
});
export type WorkerStart = z.infer<typeof WorkerStart>;

export const InvokeRequest = z.object({
  kind: z.literal('invoke'),
  id: z.number().int(),
  functionName: z.string(),
  requestId: z.string(),
  /** Wall time (ms since the epoch) at which Lambda would stop the invocation. */
  deadline: z.number(),
  event: z.unknown(),
});
export type InvokeRequest = z.infer<typeof InvokeRequest>;

/** Asks a profiling worker to stop its profiler and write the profile (before it is terminated). */
export const FlushProfileRequest = z.object({ kind: z.literal('flush-profile') });
export type FlushProfileRequest = z.infer<typeof FlushProfileRequest>;

/** A line a function wrote in the worker (log-capture.ts's `CapturedLine`). */
export const CapturedLineMessage = z.object({
  time: z.number(),
  functionName: z.string(),
  requestId: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  text: z.string(),
});

export const WorkerReply = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('log'), lines: z.array(CapturedLineMessage) }),
  z.object({ kind: z.literal('profile-written'), path: z.string().nullable() }),
  z.object({ kind: z.literal('ready'), functionNames: z.array(z.string()) }),
  z.object({ kind: z.literal('result'), id: z.number().int(), value: z.unknown() }),
  z.object({
    kind: z.literal('error'),
    id: z.number().int(),
    errorName: z.string(),
    errorMessage: z.string(),
  }),
]);
export type WorkerReply = z.infer<typeof WorkerReply>;
