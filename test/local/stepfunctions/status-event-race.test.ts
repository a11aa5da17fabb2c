import type * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import type { StatusChangeEvent } from '../../../local/stepfunctions/status-event.ts';
import { createMachine, type Harness, start, startHarness } from './harness.ts';

/**
 * A status-change event reports the status the execution had when it changed, even when the next
 * change comes before the first is durable. The engine sends each event once its change is on disk;
 * this test holds the disk sync (the store's fdatasync) so that a redrive is accepted between an
 * execution's end and that end's sync, which otherwise happens only under heavy load. An event read
 * at delivery time would report the redrive's RUNNING twice, and the outcome recorder would never
 * hear of the failure.
 */

/** While set, every fdatasync of the engine's log waits for it. */
let held: Promise<void> | undefined;
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof fs>();
  const fdatasync = Object.assign(
    (fd: number, callback: fs.NoParamCallback): void => {
      const wait = held;
      if (wait === undefined) actual.fdatasync(fd, callback);
      else void wait.then(() => actual.fdatasync(fd, callback));
    },
    { __promisify__: actual.fdatasync.__promisify__ },
  );
  return { ...actual, default: { ...actual, fdatasync }, fdatasync };
});

describe('status-change events under a slow disk', () => {
  let h: Harness;
  const events: StatusChangeEvent[] = [];
  let release: () => void = () => undefined;
  let attempt = 0;

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock(Date.UTC(2026, 11, 1)) });
    h.local.engine.onStatusChange((e) => events.push(e));
    h.functions.register('issue', async () => {
      attempt++;
      if (attempt > 1) return { certificateId: 'c-1' };
      // From here the disk is slow: the end this failure causes is not durable until released.
      held = new Promise((resolve) => {
        release = resolve;
      });
      throw Object.assign(new Error('CA unavailable'), { name: 'IssuerDown' });
    });
  });
  afterAll(async () => {
    release();
    held = undefined;
    await h.close();
  });

  it('reports FAILED, then RUNNING for a redrive accepted before the failure was synced', async () => {
    // Prepare
    const machine = await createMachine(h, {
      StartAt: 'Issue',
      States: { Issue: { Type: 'Task', Resource: h.functions.arnOf('issue'), End: true } },
    });
    const exec = await start(h, machine, { thing: 't1' });
    const statusOf = () => h.local.engine.describeExecution({ executionArn: exec }).status;
    await until(() => statusOf() === 'FAILED');
    const mine = () => events.filter((e) => e.detail.executionArn === exec).map((e) => e.detail.status);
    // The failure is not on disk yet, so its event is not sent.
    expect(mine()).toEqual(['RUNNING']);

    // Act: the redrive is accepted while the failure waits for the disk, then the disk catches up.
    const redriven = h.local.engine.redriveExecution({ executionArn: exec });
    await until(() => statusOf() === 'RUNNING');
    const cleared = held;
    held = undefined;
    release();
    await cleared;
    await redriven;
    await until(() => statusOf() === 'SUCCEEDED' && mine().length >= 4);

    // Assess
    expect(mine()).toEqual(['RUNNING', 'FAILED', 'RUNNING', 'SUCCEEDED']);
    const failed = events.find((e) => e.detail.executionArn === exec && e.detail.status === 'FAILED');
    expect(failed?.detail).toMatchObject({ error: 'IssuerDown', redriveCount: 0 });
  });
});

/** Waits (at most 10 s of real time) until the condition holds. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
