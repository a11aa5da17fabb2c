/**
 * The functions' log in the state directory (`function-log-format.ts`): the lines the functions of this
 * thread write (through `FunctionLogCapture`) and those the function workers send, redacted, buffered and
 * appended off the invocation's path. Past `maxBytes` the file is renamed to `functions.1.jsonl` (the one
 * before is dropped) and a new one started.
 */
import { type FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { redactLogText, redactLogValue } from '../../lib/redact.ts';
import type { FunctionLogLine } from './function-log-format.ts';
import { functionLogPaths } from './function-log-format.ts';
import { type CapturedLine, FunctionLogCapture } from './log-capture.ts';
import type { FunctionRegistry, LambdaHandler } from './registry.ts';

export interface FunctionLogFileOptions {
  /** Size at which the file is rotated (10 MiB by default). */
  readonly maxBytes?: number;
  /** How long a line may wait in the buffer before it is written (real ms, 200 by default). */
  readonly flushMs?: number;
}

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
/** A buffer this large is written at once rather than at the next tick of the timer. */
const FLUSH_BYTES = 64 * 1024;

export class FunctionLogFile {
  private buffer: CapturedLine[] = [];
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  private failed = false;
  private readonly capture: FunctionLogCapture;

  private constructor(
    private readonly paths: { current: string; previous: string },
    private handle: FileHandle,
    private size: number,
    private readonly options: FunctionLogFileOptions,
    /** Told once when the file cannot be written (the functions go on). */
    private readonly report: (line: string) => void,
  ) {
    this.capture = new FunctionLogCapture(this.append);
  }

  static async open(
    stateDir: string,
    options: FunctionLogFileOptions = {},
    report: (line: string) => void = () => undefined,
  ): Promise<FunctionLogFile> {
    const paths = functionLogPaths(stateDir);
    await mkdir(dirname(paths.current), { recursive: true });
    const handle = await open(paths.current, 'a');
    const { size } = await handle.stat();
    return new FunctionLogFile(paths, handle, size, options, report);
  }

  /** The handler, with what it writes to stdout and stderr going to this file. */
  wrap(functionName: string, handler: LambdaHandler): LambdaHandler {
    return this.capture.wrap(functionName, handler);
  }

  /** Every function registered so far, registered again with its writes going to this file. */
  captureAll(registry: FunctionRegistry): void {
    for (const fn of registry.list())
      registry.register(fn.name, this.wrap(fn.name, fn.handler), fn.timeoutSeconds);
  }

  /** Takes one line a function wrote, here or in a worker; it is redacted when written, off the function's path. */
  readonly append = (line: CapturedLine): void => {
    if (this.closed) return;
    this.buffer.push(line);
    this.bufferedBytes += line.text.length;
    if (this.bufferedBytes >= FLUSH_BYTES) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs ?? 200).unref();
  };

  /** Writes what is buffered; resolves once it is in the file. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length > 0) {
      const chunk = this.buffer.map((line) => `${JSON.stringify(logLineOf(line))}\n`).join('');
      this.buffer = [];
      this.bufferedBytes = 0;
      this.writing = this.writing.then(() => this.write(chunk)).catch((error: unknown) => this.fail(error));
    }
    return this.writing;
  }

  /** Stops capturing, writes what is buffered and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.capture.close();
    await this.flush();
    await this.handle.close().catch(() => undefined);
  }

  private async write(chunk: string): Promise<void> {
    const bytes = Buffer.byteLength(chunk);
    if (this.size > 0 && this.size + bytes > (this.options.maxBytes ?? DEFAULT_MAX_BYTES)) {
      await this.handle.close();
      // A rename that fails leaves one file growing: told, and the lines still kept.
      await rename(this.paths.current, this.paths.previous).catch((error: unknown) => this.fail(error));
      this.handle = await open(this.paths.current, 'a');
      this.size = 0;
    }
    await this.handle.write(chunk);
    this.size += bytes;
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.report(`lambda: the functions' log ${this.paths.current} cannot be written: ${String(error)}`);
  }
}

/** A captured line as the file keeps it: tagged, and its JSON kept as a record when it is an object. */
export function logLineOf(line: CapturedLine): FunctionLogLine {
  const tags = {
    time: new Date(line.time).toISOString(),
    functionName: line.functionName,
    requestId: line.requestId,
    stream: line.stream,
  };
  const record = jsonObject(line.text);
  return record
    ? { ...tags, record: redactLogValue(record) as Record<string, unknown> }
    : { ...tags, text: redactLogText(line.text) };
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
