import type * as fs from 'node:fs';
import { fstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Store } from '../../../local/stepfunctions/store.ts';
import { empty, execution } from './store-fixtures.ts';

/**
 * The engine's log closes (the local AWS stops, or compaction starts a new log) while a group's
 * fdatasync is still queued on the thread pool. The queued sync must not run on a closed
 * descriptor: it failed with EBADF, thrown as StoreCorruptError from a callback, which took the
 * process down at shutdown. The test holds every fdatasync of the log to make that ordering certain.
 */

let held: Promise<void> | undefined;
/** What each held fdatasync got back, by descriptor. */
const outcomes: { fd: number; error: NodeJS.ErrnoException | null }[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof fs>();
  const fdatasync = Object.assign(
    (fd: number, callback: fs.NoParamCallback): void => {
      const run = () =>
        actual.fdatasync(fd, (error) => {
          outcomes.push({ fd, error });
          callback(error);
        });
      const wait = held;
      if (wait === undefined) run();
      else void wait.then(run);
    },
    { __promisify__: actual.fdatasync.__promisify__ },
  );
  return { ...actual, default: { ...actual, fdatasync }, fdatasync };
});

const dirs: string[] = [];
afterEach(() => {
  held = undefined;
  outcomes.length = 0;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Records a change, lets its group start its (held) sync, and returns the release. */
async function changeWithHeldSync(store: Store, billed: number): Promise<() => void> {
  let release: () => void = () => undefined;
  held = new Promise((resolve) => {
    release = resolve;
  });
  store.putExecution({ ...execution, billed });
  // The group commits on the next turn of the event loop, and its fdatasync waits for the release.
  await new Promise((resolve) => setImmediate(resolve));
  return release;
}

async function settled(count: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (outcomes.length < count) {
    if (Date.now() > deadline) throw new Error('the held sync never ran');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("the engine's log closed while a sync is queued", () => {
  it('runs the queued sync on the still-open log, then closes it, and loses nothing', async () => {
    // Prepare
    const stateDir = mkdtempSync(join(tmpdir(), 'recert-store-race-'));
    dirs.push(stateDir);
    const store = new Store(stateDir, empty);
    store.load();
    const release = await changeWithHeldSync(store, 7);

    // Act: the stack stops while the sync waits, then the thread pool gets to it.
    store.close();
    release();
    await settled(1);

    // Assess
    expect(outcomes.map((o) => o.error?.code ?? 'ok')).toEqual(['ok']);
    const fd = outcomes[0]?.fd ?? -1;
    expect(() => fstatSync(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(new Store(stateDir, empty).load().executions.get(execution.arn)?.billed).toBe(7);
  });

  it('keeps a compacted log open for its queued sync, and the new log takes the next changes', async () => {
    // Prepare
    const stateDir = mkdtempSync(join(tmpdir(), 'recert-store-race-'));
    dirs.push(stateDir);
    let live = empty();
    const store = new Store(stateDir, () => live);
    store.load();
    const release = await changeWithHeldSync(store, 8);

    // Act: compaction replaces the log while its sync waits.
    live = new Store(stateDir, empty).load();
    live.executions.set(execution.arn, { ...execution, billed: 8 });
    store.compact();
    release();
    await settled(1);
    held = undefined;
    store.putExecution({ ...execution, billed: 9 });
    await store.flush();

    // Assess
    expect(outcomes.map((o) => o.error?.code ?? 'ok')).toEqual(['ok', 'ok']);
    expect(() => fstatSync(outcomes[0]?.fd ?? -1)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    store.close();
    expect(new Store(stateDir, empty).load().executions.get(execution.arn)?.billed).toBe(9);
  });
});
