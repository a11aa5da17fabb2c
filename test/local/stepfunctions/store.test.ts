import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store, type StoredState } from '../../../local/stepfunctions/store.ts';
import { empty, event, execution, frame, machine } from './store-fixtures.ts';

describe('the write-ahead store', () => {
  const dirs: string[] = [];
  const dir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'recert-sfn-store-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const fill = async (store: Store): Promise<void> => {
    store.putDefinition('h1', '{"StartAt":"W"}');
    store.putMachine(machine);
    store.putExecution(execution);
    store.putFrame(execution.arn, frame);
    store.appendEvents(execution.arn, [event]);
    await store.flush();
  };

  it('reads back what a flush made durable, and ignores a torn last line', async () => {
    const stateDir = dir();
    const store = new Store(stateDir, empty);
    store.load();
    await fill(store);
    // A crash mid-write leaves half a line at the end of the log.
    appendFileSync(join(stateDir, 'stepfunctions', 'wal.log'), '{"x":{"arn":"half');
    const reopened = new Store(stateDir, empty).load();
    expect(reopened.machines.get(machine.arn)).toEqual(machine);
    expect(reopened.definitions.get('h1')).toBe('{"StartAt":"W"}');
    expect(reopened.executions.get(execution.arn)).toEqual(execution);
    expect(reopened.frames.get(execution.arn)?.get('0')).toEqual(frame);
    expect(reopened.events.get(execution.arn)).toEqual([event]);
  });

  it('drops a group whose commit marker never reached the disk, whole, and appends cleanly after a torn end', async () => {
    const stateDir = dir();
    const store = new Store(stateDir, empty);
    store.load();
    await fill(store);
    store.close();
    const log = join(stateDir, 'stepfunctions', 'wal.log');
    // Complete lines of a group without its marker, then half a line: a crash mid-write.
    appendFileSync(
      log,
      `${JSON.stringify({ x: { ...execution, status: 'SUCCEEDED' } })}\n{"f":["${execution.arn}",{"id":"0"`,
    );
    const second = new Store(stateDir, empty);
    const state = second.load();
    expect(state.executions.get(execution.arn)?.status).toBe('RUNNING');
    second.putExecution({ ...execution, billed: 7 });
    await second.flush();
    second.close();
    const third = new Store(stateDir, empty).load();
    expect(third.executions.get(execution.arn)?.billed).toBe(7);
    expect(third.frames.get(execution.arn)?.get('0')).toEqual(frame);
  });

  it('coalesces repeated changes to one record into one line per group', async () => {
    const stateDir = dir();
    const store = new Store(stateDir, empty);
    store.load();
    for (let i = 0; i < 100; i++) store.putExecution({ ...execution, billed: i });
    await store.flush();
    const lines = readFileSync(join(stateDir, 'stepfunctions', 'wal.log'), 'utf8')
      .trim()
      .split('\n');
    // One execution line and the group's commit marker.
    expect(lines).toHaveLength(2);
    expect(new Store(stateDir, empty).load().executions.get(execution.arn)?.billed).toBe(99);
  });

  it('compacts into a snapshot that reloads to the same state, and never replays the old log over it', async () => {
    const stateDir = dir();
    let live: StoredState = empty();
    const store = new Store(stateDir, () => live);
    store.load();
    await fill(store);
    // The engine's dump is its in-memory state: here, what the log holds.
    live = new Store(stateDir, empty).load();
    // A change recorded but not yet committed when compaction runs is in the snapshot, once.
    store.appendEvents(execution.arn, [{ ...event, id: 2 }]);
    live.events.get(execution.arn)?.push({ ...event, id: 2 });
    // The log before compaction, as a crash right after the snapshot's rename would leave it.
    const oldLog = readFileSync(join(stateDir, 'stepfunctions', 'wal.log'));
    store.compact();
    await store.flush();
    expect(existsSync(join(stateDir, 'stepfunctions', 'wal.log'))).toBe(false);
    expect(readFileSync(join(stateDir, 'stepfunctions', 'wal.1.log'), 'utf8')).toBe('');
    writeFileSync(join(stateDir, 'stepfunctions', 'wal.log'), oldLog);
    const reopened = new Store(stateDir, empty).load();
    expect(reopened.executions.get(execution.arn)).toEqual(execution);
    expect(reopened.frames.get(execution.arn)?.get('0')).toEqual(frame);
    expect(reopened.events.get(execution.arn)).toEqual([event, { ...event, id: 2 }]);
    store.close();
  });
});
