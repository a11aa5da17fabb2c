import { afterEach, describe, expect, it } from 'vitest';
import { runDeviceCommand } from '../../../device/cli.ts';
import { eventually, startLocal, stopLocal } from '../../e2e/helpers.ts';
import { startDevice, type TestDevice } from './devices.ts';

const THING = 'conformance-reference';
/** Generous per-check bound for a busy machine; a passing check ends well before it. */
const CHECK_TIMEOUT_SECONDS = '240';

describe('recert device test against the reference agent', () => {
  let env: Awaited<ReturnType<typeof startLocal>> | undefined;
  let device: TestDevice | undefined;

  afterEach(async () => {
    await device?.agent.stop();
    await stopLocal(env);
    env = undefined;
    device = undefined;
  });

  it('passes every check, one line each, and exits 0', async () => {
    // Prepare: the local AWS and a connected reference agent.
    env = await startLocal();
    const running = await startDevice(env.local, THING);
    device = running;
    await eventually('the agent connected', async () =>
      running.events.some((e) => e.type === 'connected') ? true : undefined,
    );
    const out: string[] = [];
    const err: string[] = [];

    // Act
    const code = await runDeviceCommand(
      ['test', THING, '--local', '--state-dir', env.dir, '--check-timeout', CHECK_TIMEOUT_SECONDS],
      { stdout: (line) => out.push(line), stderr: (line) => err.push(line) },
    );

    // Assess
    expect({ code, err, out }).toEqual({
      code: 0,
      err: [],
      out: [
        'PASS happy-rotation',
        'PASS duplicate-csr-req',
        'PASS resent-crt-res',
        'PASS reconnect',
        'PASS crt-err',
        `5 of 5 checks passed for ${THING}`,
      ],
    });
  }, 1_500_000);
});
