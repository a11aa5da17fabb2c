/**
 * Durable key-value tables for the registry: every change is appended as one JSON line to a log,
 * and on open the log is folded into a snapshot that is written atomically (temp file, fsync,
 * rename) before the log is truncated. A line torn by a crash is the last one and is ignored, so
 * the state on disk is always a prefix of the changes that were made.
 */

import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { namedError } from '../../../lib/named-error.ts';

const changeSchema = z.object({ t: z.string(), k: z.string(), v: z.unknown().optional() });
const snapshotSchema = z.object({
  version: z.literal(1),
  tables: z.record(z.string(), z.record(z.string(), z.unknown())),
});

const COMPACT_AFTER_CHANGES = 50_000;

export class CorruptStateError extends namedError('CorruptStateError') {}

export class EntityLog {
  private readonly tables = new Map<string, Map<string, unknown>>();
  private fd: number | undefined;
  private appended = 0;
  private readonly snapshotPath: string;
  private readonly logPath: string;

  constructor(
    readonly dir: string,
    private readonly compactAfter = COMPACT_AFTER_CHANGES,
  ) {
    this.snapshotPath = join(dir, 'snapshot.json');
    this.logPath = join(dir, 'changes.log');
  }

  /** Loads the snapshot and the log, compacts them into a new snapshot and opens the log. */
  open(): void {
    mkdirSync(this.dir, { recursive: true });
    if (existsSync(this.snapshotPath)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(this.snapshotPath, 'utf8'));
      } catch (error) {
        throw new CorruptStateError(`${this.snapshotPath} is not valid JSON`, { cause: error });
      }
      const snapshot = snapshotSchema.safeParse(parsed);
      if (!snapshot.success) throw new CorruptStateError(`${this.snapshotPath} has an unknown shape`);
      for (const [name, rows] of Object.entries(snapshot.data.tables)) {
        this.tables.set(name, new Map(Object.entries(rows)));
      }
    }
    if (existsSync(this.logPath)) {
      const lines = readFileSync(this.logPath, 'utf8').split('\n');
      for (const line of lines) {
        if (line.trim() === '') continue;
        let change: z.infer<typeof changeSchema>;
        try {
          change = changeSchema.parse(JSON.parse(line));
        } catch {
          // Only a crash mid-append leaves a bad line, and it can only be the last one.
          break;
        }
        this.applyInMemory(change.t, change.k, change.v);
      }
    }
    this.compact();
  }

  table(name: string): ReadonlyMap<string, unknown> {
    return this.tables.get(name) ?? new Map();
  }

  put(table: string, key: string, value: unknown): void {
    this.applyInMemory(table, key, value);
    this.append({ t: table, k: key, v: value });
  }

  delete(table: string, key: string): void {
    this.applyInMemory(table, key, undefined);
    this.append({ t: table, k: key });
  }

  /** Writes every table to a fresh snapshot and starts an empty log. */
  compact(): void {
    const tables: Record<string, Record<string, unknown>> = {};
    for (const [name, rows] of this.tables) tables[name] = Object.fromEntries(rows);
    writeFileAtomic(this.snapshotPath, JSON.stringify({ version: 1, tables }));
    this.closeLog();
    writeFileAtomic(this.logPath, '');
    this.fd = openSync(this.logPath, 'a');
    this.appended = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    this.closeLog();
  }

  private closeLog(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private applyInMemory(table: string, key: string, value: unknown): void {
    let rows = this.tables.get(table);
    if (!rows) {
      rows = new Map();
      this.tables.set(table, rows);
    }
    if (value === undefined) rows.delete(key);
    else rows.set(key, value);
  }

  private append(change: { t: string; k: string; v?: unknown }): void {
    if (this.fd === undefined) throw new Error(`entity log in ${this.dir} is not open`);
    writeSync(this.fd, `${JSON.stringify(change)}\n`);
    // Keeps the log (and the next start-up) short on a long-running local stack.
    if (++this.appended > Math.max(this.compactAfter, 2 * this.rowCount())) this.compact();
  }

  private rowCount(): number {
    let rows = 0;
    for (const table of this.tables.values()) rows += table.size;
    return rows;
  }
}

export function writeFileAtomic(path: string, content: string | Buffer, mode?: number): void {
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', mode);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
