import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../../local/config.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';
import {
  callbackTask,
  createMachine,
  type Harness,
  oneTask,
  start,
  startHarness,
  waitForEnd,
  waitForEvent,
} from './harness.ts';

/** A callback task waiting for its token, and the engine about to stop under it. */
async function waitingTask(stateDir?: string) {
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  const functions = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
  const tokens: string[] = [];
  functions.register('deliver', async (event) => {
    tokens.push((event as { token: string }).token);
    return {};
  });
  const h = await startHarness({ clock, functions, ...(stateDir ? { stateDir } : {}) });
  const exec = await start(h, await createMachine(h, oneTask(callbackTask('deliver'))));
  await waitForEvent(h, exec, (events) => events.some((e) => e.type === 'TaskSubmitted'));
  return { h, exec, token: tokens[0] as string };
}

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

describe('a callback answered while the engine stops', () => {
  it('is refused with ServiceUnavailable (which the SDKs retry), and accepted after the restart', async () => {
    // Prepare
    const first = await waitingTask();
    await first.h.local.engine.close();
    // Act
    const whileStopped = first.h.sfn.send(
      new SendTaskSuccessCommand({ taskToken: first.token, output: '{}' }),
    );
    // Assess: refused, not acknowledged and then forgotten.
    await expect(whileStopped).rejects.toMatchObject({
      name: 'ServiceUnavailable',
      $metadata: { httpStatusCode: 503 },
    });
    await first.h.local.server.close();
    const again = await startHarness({ clock: first.h.clock, stateDir: first.h.stateDir });
    harnesses.push(again, first.h);
    await again.sfn.send(new SendTaskSuccessCommand({ taskToken: first.token, output: '{"ok":true}' }));
    expect((await waitForEnd(again, first.exec)).status).toBe('SUCCEEDED');
  });

  it('fails an answer that reached the engine after its store closed, instead of reporting it kept', async () => {
    // Prepare
    const { h, token } = await waitingTask();
    harnesses.push(h);
    await h.local.engine.close();
    // Act: the API operation itself, as a request already past the server's check would run it.
    const answered = h.local.engine.sendTaskSuccess({ taskToken: token, output: '{}' });
    // Assess
    await expect(answered).rejects.toMatchObject({ name: 'StoreClosedError' });
  });

  it('lets a task that ends after the close finish nothing: no status is announced, nothing is thrown', async () => {
    // Prepare: a one-task execution whose function returns only once the engine has closed.
    const functions = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    functions.register('slow', async () => {
      await gate;
      return { done: true };
    });
    const h = await startHarness({ clock: new ManualClock(Date.UTC(2026, 2, 1)), functions });
    harnesses.push(h);
    const announced: string[] = [];
    h.local.engine.onStatusChange((event) => announced.push(event.detail.status));
    const exec = await start(
      h,
      await createMachine(
        h,
        oneTask({ Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'slow' } }),
      ),
    );
    await waitForEvent(h, exec, (events) => events.some((e) => e.type?.endsWith('Started')));
    // Act
    await h.local.engine.close();
    release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Assess: the end was not kept, so it is not announced (the restart runs the task again).
    expect(announced).not.toContain('SUCCEEDED');
  });
});
