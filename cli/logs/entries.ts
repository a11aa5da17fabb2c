/**
 * A line of the functions' log as `recert logs` shows it: the Powertools record flattened, redacted
 * again (a file edited by hand or from an older build holds nothing that is then printed).
 */
import { redactLogText, redactLogValue } from '../../lib/redact.ts';
import { FunctionLogLine } from '../../local/index.ts';

export interface LogEntry {
  /** The record's own timestamp, else when the function wrote the line. */
  readonly time: string;
  readonly level: string;
  readonly functionName: string;
  readonly requestId: string;
  readonly message: string;
  readonly thingName?: string;
  readonly rotationId?: string;
  /** The record's other keys: those the handler appended (executionArn, reason, detail, ...). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** What Powertools adds to every record, which says nothing the columns do not. */
const BOILERPLATE = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
  'thingName',
  'rotationId',
]);

/** The entry of one line of the file; undefined for a line that is not one, or for a metrics (EMF) record. */
export function entryOf(fileLine: string): LogEntry | undefined {
  let json: unknown;
  try {
    json = JSON.parse(fileLine);
  } catch {
    return undefined;
  }
  const parsed = FunctionLogLine.safeParse(json);
  if (!parsed.success) return undefined;
  const line = parsed.data;
  const base = { functionName: line.functionName, requestId: line.requestId };
  if (!line.record) {
    const level = line.stream === 'stderr' ? 'ERROR' : 'INFO';
    return { ...base, time: line.time, level, message: redactLogText(line.text ?? ''), fields: {} };
  }
  // Metrics in the embedded metric format are for CloudWatch Metrics, not for people reading logs.
  if ('_aws' in line.record) return undefined;
  const record = redactLogValue(line.record) as Record<string, unknown>;
  const fields = Object.fromEntries(Object.entries(record).filter(([key]) => !BOILERPLATE.has(key)));
  const stringAt = (key: string): string | undefined =>
    typeof record[key] === 'string' ? (record[key] as string) : undefined;
  const thingName = stringAt('thingName');
  const rotationId = stringAt('rotationId');
  return {
    ...base,
    time: stringAt('timestamp') ?? line.time,
    level: (stringAt('level') ?? 'INFO').toUpperCase(),
    message: stringAt('message') ?? '',
    ...(thingName !== undefined ? { thingName } : {}),
    ...(rotationId !== undefined ? { rotationId } : {}),
    fields,
  };
}
