import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { StoreClosedError, StoreCorruptError } from './errors.ts';
import type { Json } from './json.ts';
import type { ExecutionRecord, Frame, HistoryEvent, MachineRecord } from './model.ts';
import { applyRecord, isRecord, line, type StoredState } from './store-records.ts';

export type { StoredState } from './store-records.ts';

/**
 * Durable storage for the engine: a snapshot plus a write-ahead log in `<stateDir>/stepfunctions/`.
 * Changes are coalesced (only the last version of a record is written) and committed in groups: one
 * write, ending with a commit marker, then one fdatasync on the thread pool while the engine keeps
 * running; whatever changed in the meantime forms the next group. That group commit is what lets thousands of transitions per second
 * survive kill -9. `flush()` resolves once everything recorded before it is on disk; the engine awaits
 * it before any effect outside the process (a task call, an API answer, a status event).
 * When the log grows past a bound the whole state is written as a new snapshot and the log restarts.
 */

const snapshotShape = z.object({
  version: z.literal(1),
  /** The log generation that continues this snapshot (absent: the first, `wal.log`). */
  generation: z.number().int().nonnegative().default(0),
  machines: z.array(z.unknown()),
  definitions: z.array(z.tuple([z.string(), z.string()])),
  executions: z.array(z.unknown()),
  frames: z.array(z.tuple([z.string(), z.unknown()])),
  events: z.array(z.tuple([z.string(), z.array(z.unknown())])),
});

const COMPACT_BYTES = 64 * 1024 * 1024;

export class Store {
  private readonly dir: string;
  private logPath: string;
  /** Which log continues the snapshot: compaction starts a new one, so an old log is never replayed over a newer snapshot. */
  private generation = 0;
  private readonly snapshotPath: string;
  private fd: number | undefined;
  private logBytes = 0;
  private pendingMachines = new Map<string, MachineRecord | null>();
  private pendingExecutions = new Map<string, ExecutionRecord>();
  private pendingFrames = new Map<string, [string, Frame | null]>();
  private pendingEvents: [string, HistoryEvent[]][] = [];
  private pendingDefinitions: [string, string][] = [];
  /** Waiting for the next group (changes not yet written). */
  private waiters: (() => void)[] = [];
  /** Waiting for the group being synced. */
  private syncWaiters: (() => void)[] = [];
  private syncing = false;
  /**
   * Descriptors of logs given up (closed, or replaced by compaction) while a sync on them was still on
   * the thread pool: closed when that sync ends, so that it never runs on a closed (or reused) number.
   */
  private retiredFds: number[] = [];
  /** Commit markers written: each group of changes ends with one. */
  private groups = 0;
  private scheduled = false;
  private closed = false;
  /** Commits performed and records written: for the benchmark. */
  readonly stats = { commits: 0, bytes: 0 };

  constructor(
    stateDir: string,
    private readonly dump: () => StoredState,
  ) {
    this.dir = join(stateDir, 'stepfunctions');
    this.logPath = this.logFile(0);
    this.snapshotPath = join(this.dir, 'snapshot.json');
  }

  /** Reads the snapshot and replays the log. A torn last line (a crash mid-write) is ignored. */
  load(): StoredState {
    mkdirSync(this.dir, { recursive: true });
    const state: StoredState = {
      machines: new Map(),
      definitions: new Map(),
      executions: new Map(),
      frames: new Map(),
      events: new Map(),
    };
    if (existsSync(this.snapshotPath)) this.applySnapshot(state, readFileSync(this.snapshotPath, 'utf8'));
    this.logPath = this.logFile(this.generation);
    if (existsSync(this.logPath)) this.logBytes = this.replayLog(state);
    this.removeStaleLogs();
    this.fd = openSync(this.logPath, 'a');
    if (this.scheduled) setImmediate(() => this.commit());
    return state;
  }

  /**
   * Applies the log group by group: a group counts only once its commit marker is on disk, so a crash
   * mid-write loses the whole unacknowledged group, never half of it. The torn end is cut off so the
   * next group starts on a clean line. Returns the log's length after the cut.
   */
  private replayLog(state: StoredState): number {
    const buf = readFileSync(this.logPath);
    let group: unknown[] = [];
    let offset = 0;
    let kept = 0;
    let markers = 0;
    while (offset < buf.length) {
      const end = buf.indexOf(10, offset);
      if (end < 0) break; // an unterminated last line: torn
      const text = buf.toString('utf8', offset, end);
      offset = end + 1;
      if (text === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch (error) {
        if (offset >= buf.length) break; // a torn last line
        throw new StoreCorruptError(`${this.logPath}: the record at byte ${offset} is not JSON`, {
          cause: error,
        });
      }
      if (isRecord(record) && 'c' in record) {
        for (const r of group) applyRecord(state, r);
        group = [];
        kept = offset;
        markers++;
      } else group.push(record);
    }
    if (markers === 0) {
      // A log written before groups had markers: every complete line counts.
      for (const r of group) applyRecord(state, r);
      kept = buf.lastIndexOf(10) + 1;
    }
    if (kept < buf.length) {
      truncateSync(this.logPath, kept);
      const fd = openSync(this.logPath, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    return kept;
  }

  private applySnapshot(state: StoredState, text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new StoreCorruptError(`${this.snapshotPath} is not JSON`, { cause: error });
    }
    const snap = snapshotShape.safeParse(raw);
    if (!snap.success) throw new StoreCorruptError(`${this.snapshotPath}: ${snap.error.message}`);
    this.generation = snap.data.generation;
    for (const m of snap.data.machines) applyRecord(state, { m });
    for (const d of snap.data.definitions) applyRecord(state, { d });
    for (const x of snap.data.executions) applyRecord(state, { x });
    for (const f of snap.data.frames) applyRecord(state, { f });
    for (const e of snap.data.events) applyRecord(state, { e });
  }

  putMachine(m: MachineRecord): void {
    this.pendingMachines.set(m.arn, m);
    this.schedule();
  }
  deleteMachine(arn: string): void {
    this.pendingMachines.set(arn, null);
    this.schedule();
  }
  putDefinition(hash: string, text: string): void {
    this.pendingDefinitions.push([hash, text]);
    this.schedule();
  }
  putExecution(x: ExecutionRecord): void {
    this.pendingExecutions.set(x.arn, x);
    this.schedule();
  }
  putFrame(executionArn: string, frame: Frame): void {
    this.pendingFrames.set(`${executionArn} ${frame.id}`, [executionArn, frame]);
    this.schedule();
  }
  deleteFrame(executionArn: string, frameId: string): void {
    this.pendingFrames.set(`${executionArn} ${frameId}`, [executionArn, null]);
    this.schedule();
  }
  appendEvents(executionArn: string, events: HistoryEvent[]): void {
    const last = this.pendingEvents[this.pendingEvents.length - 1];
    if (last && last[0] === executionArn) last[1].push(...events);
    else this.pendingEvents.push([executionArn, [...events]]);
    this.schedule();
  }

  /** Resolves when every change recorded so far is durable. */
  flush(): Promise<void> {
    // A change made after close is never written: whoever waits for it must not be told it is durable.
    if (this.closed && this.hasPending()) {
      return Promise.reject(new StoreClosedError(`${this.logPath}: the store closed before this change`));
    }
    if (this.scheduled) return new Promise((resolve) => this.waiters.push(resolve));
    if (this.syncing) return new Promise((resolve) => this.syncWaiters.push(resolve));
    return Promise.resolve();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.commit());
  }

  /** Writes the coalesced changes as log lines and syncs them; the group's waiters go when the sync ends. */
  private commit(): void {
    if (this.closed) return;
    if (this.syncing) return; // still scheduled: the sync's end starts the next group
    // Not loaded yet: keep the changes (and their waiters) until load() opens the log.
    if (this.fd === undefined) return;
    this.scheduled = false;
    const buf = this.takePending();
    const waiters = this.waiters;
    this.waiters = [];
    if (!buf || this.fd === undefined) {
      for (const w of waiters) w();
      return;
    }
    writeAll(this.fd, buf);
    this.syncing = true;
    this.syncWaiters = waiters;
    fdatasync(this.fd, (error) => {
      this.syncing = false;
      for (const fd of this.retiredFds.splice(0)) closeSync(fd);
      // close() wrote and synced everything itself, and released the waiters.
      if (this.closed) return;
      if (error) throw new StoreCorruptError(`${this.logPath}: fdatasync failed`, { cause: error });
      this.noteWritten(buf.length);
      const done = this.syncWaiters;
      this.syncWaiters = [];
      for (const w of done) w();
      if (this.scheduled) this.commit();
    });
  }

  private hasPending(): boolean {
    return (
      this.pendingDefinitions.length > 0 ||
      this.pendingMachines.size > 0 ||
      this.pendingExecutions.size > 0 ||
      this.pendingFrames.size > 0 ||
      this.pendingEvents.length > 0
    );
  }

  /** The coalesced changes as log lines, or undefined when nothing changed. */
  private takePending(): Buffer | undefined {
    const lines: string[] = [];
    for (const [hash, text] of this.pendingDefinitions) lines.push(line({ d: [hash, text] }));
    for (const [arn, m] of this.pendingMachines) lines.push(line(m ? { m } : { dm: arn }));
    for (const x of this.pendingExecutions.values()) lines.push(line({ x }));
    for (const [key, [arn, f]] of this.pendingFrames) {
      lines.push(line(f ? { f: [arn, f] } : { df: [arn, key.slice(arn.length + 1)] }));
    }
    for (const [arn, events] of this.pendingEvents) lines.push(line({ e: [arn, events] }));
    this.pendingDefinitions = [];
    this.pendingMachines = new Map();
    this.pendingExecutions = new Map();
    this.pendingFrames = new Map();
    this.pendingEvents = [];
    if (lines.length === 0) return undefined;
    lines.push(line({ c: ++this.groups }));
    return Buffer.from(lines.join(''));
  }

  private noteWritten(bytes: number): void {
    this.logBytes += bytes;
    this.stats.commits++;
    this.stats.bytes += bytes;
    if (this.logBytes > COMPACT_BYTES && !this.closed) this.compact();
  }

  /** Writes the whole state as a new snapshot (atomically, by rename) and starts an empty log. */
  compact(): void {
    // Changes not yet logged are part of the in-memory state the snapshot holds: logging them after
    // it would append their history events twice. Their waiters go at the next (empty) commit.
    this.takePending();
    const s = this.dump();
    const frames: [string, Frame][] = [];
    for (const [arn, fs] of s.frames) for (const f of fs.values()) frames.push([arn, f]);
    const generation = this.generation + 1;
    const snapshot = {
      version: 1,
      generation,
      machines: [...s.machines.values()],
      definitions: [...s.definitions.entries()],
      executions: [...s.executions.values()],
      frames,
      events: [...s.events.entries()],
    };
    const tmp = `${this.snapshotPath}.tmp`;
    const fd = openSync(tmp, 'w');
    writeAll(fd, Buffer.from(JSON.stringify(snapshot)));
    fsyncSync(fd);
    closeSync(fd);
    // From the rename on, the snapshot names the new log: the old one is never read again.
    renameSync(tmp, this.snapshotPath);
    fsyncDir(this.dir);
    if (this.fd !== undefined) this.retire(this.fd);
    this.generation = generation;
    this.logPath = this.logFile(generation);
    this.fd = openSync(this.logPath, 'w');
    fsyncSync(this.fd);
    fsyncDir(this.dir);
    this.logBytes = 0;
    this.removeStaleLogs();
  }

  private logFile(generation: number): string {
    return join(this.dir, generation === 0 ? 'wal.log' : `wal.${generation}.log`);
  }

  /** Logs of earlier generations are folded into the snapshot. */
  private removeStaleLogs(): void {
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      if (/^wal(\.\d+)?\.log$/.test(name) && path !== this.logPath) rmSync(path, { force: true });
    }
  }

  /** Closes a log's descriptor now, or when the sync running on it ends. */
  private retire(fd: number): void {
    if (this.syncing) this.retiredFds.push(fd);
    else closeSync(fd);
  }

  /** Writes and syncs everything pending, synchronously, and closes the log. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const buf = this.takePending();
    if (this.fd !== undefined) {
      if (buf) writeAll(this.fd, buf);
      fdatasyncSync(this.fd);
      this.retire(this.fd);
    }
    this.fd = undefined;
    for (const w of [...this.syncWaiters, ...this.waiters]) w();
    this.syncWaiters = [];
    this.waiters = [];
  }
}

const writeAll = (fd: number, buf: Buffer): void => {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off);
};

const fsyncDir = (dir: string): void => {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

export type { Json };
