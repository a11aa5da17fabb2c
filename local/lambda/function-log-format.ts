/**
 * The functions' log in the state directory, as `recert local up --log-level` writes it and
 * `recert logs` reads it: one JSON object a line, each a line a function wrote, tagged like a
 * CloudWatch Logs event with the function's name and the invocation's request id.
 */
import { join } from 'node:path';
import { z } from 'zod';

export const FUNCTION_LOG_DIR = 'logs';

/** The log being written, and the one it replaced when it grew past its size bound. */
export const functionLogPaths = (stateDir: string): { current: string; previous: string } => ({
  current: join(stateDir, FUNCTION_LOG_DIR, 'functions.jsonl'),
  previous: join(stateDir, FUNCTION_LOG_DIR, 'functions.1.jsonl'),
});

export const FunctionLogLine = z.object({
  /** When the function wrote it (ISO 8601, wall time). */
  time: z.string(),
  functionName: z.string(),
  requestId: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  /** The line as JSON (a Powertools record), redacted... */
  record: z.record(z.string(), z.unknown()).optional(),
  /** ...or as text, redacted, when it is not a JSON object. */
  text: z.string().optional(),
});
export type FunctionLogLine = z.infer<typeof FunctionLogLine>;
