/**
 * Reads the functions' log line by line: the rotated file first, then the current one, to its end;
 * with `follow`, then every line appended after, across rotations (a new file under the same path is
 * read from its start once the old one is read to its end), until the signal.
 */
import { type FileHandle, open, stat } from 'node:fs/promises';
import { systemCode } from '../errors.ts';

export interface TailOptions {
  readonly follow: boolean;
  readonly signal?: AbortSignal | undefined;
  /** How often to look for new lines when following (real ms). */
  readonly pollMs?: number;
}

const CHUNK_BYTES = 64 * 1024;

/** Whether either file exists. */
export async function logExists(paths: { current: string; previous: string }): Promise<boolean> {
  return (await exists(paths.previous)) || (await exists(paths.current));
}

export async function tailLog(
  paths: { current: string; previous: string },
  onLine: (line: string) => void,
  options: TailOptions,
): Promise<void> {
  const previous = await openIfExists(paths.previous);
  if (previous) {
    const reader = new LineReader(previous, onLine);
    await reader.readToEnd();
    await reader.close(true);
  }
  let current = await openIfExists(paths.current);
  let reader = current ? new LineReader(current, onLine) : undefined;
  for (;;) {
    await reader?.readToEnd();
    if (!options.follow || options.signal?.aborted) break;
    await pause(options.pollMs ?? 250, options.signal);
    if (options.signal?.aborted) break;
    const now = await inode(paths.current);
    if (reader && now !== reader.inode) {
      // Rotated: what the writer put in the old file before it let go of it, then the new file.
      await reader.readToEnd();
      await reader.close(true);
      reader = undefined;
    }
    if (!reader && now !== undefined) {
      current = await openIfExists(paths.current);
      reader = current ? new LineReader(current, onLine) : undefined;
    }
  }
  await reader?.close(false);
}

/** Reads a file from its start, line by line, keeping a last line without its newline until it has one. */
class LineReader {
  private offset = 0;
  private partial = '';
  readonly inode: number;

  constructor(
    private readonly file: { handle: FileHandle; inode: number },
    private readonly onLine: (line: string) => void,
  ) {
    this.inode = file.inode;
  }

  async readToEnd(): Promise<void> {
    const buffer = Buffer.alloc(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await this.file.handle.read(buffer, 0, CHUNK_BYTES, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      const lines = (this.partial + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) if (line !== '') this.onLine(line);
    }
  }

  /** Closes the file; `last` hands on a final line without its newline (the file will not grow). */
  async close(last: boolean): Promise<void> {
    if (last && this.partial !== '') this.onLine(this.partial);
    this.partial = '';
    await this.file.handle.close();
  }
}

async function openIfExists(path: string): Promise<{ handle: FileHandle; inode: number } | undefined> {
  try {
    const handle = await open(path, 'r');
    return { handle, inode: (await handle.stat()).ino };
  } catch (error) {
    if (systemCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

async function inode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).ino;
  } catch (error) {
    if (systemCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await inode(path)) !== undefined;
}

/** Resolves after `ms`, or at once when `signal` aborts (it never rejects). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
