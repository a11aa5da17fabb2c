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
});
