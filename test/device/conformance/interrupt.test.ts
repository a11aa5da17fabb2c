import { ListPoliciesCommand } from '@aws-sdk/client-iot';
import { afterEach, describe, expect, it } from 'vitest';
import { runDeviceCommand } from '../../../device/cli.ts';
import {
  certificateStatus,
  eventually,
  rotationRecord,
  startLocal,
  stopLocal,
  thingCertificateIds,
} from '../../e2e/helpers.ts';
import { startDevice, type TestDevice } from './devices.ts';

const THING = 'conformance-interrupted';

describe('recert device test, stopped halfway', () => {
  let env: Awaited<ReturnType<typeof startLocal>> | undefined;
  let device: TestDevice | undefined;

  afterEach(async () => {
    await device?.agent.stop();
    await stopLocal(env);
    env = undefined;
    device = undefined;
  });

  it('fails the check it stopped, abandons its rotation and removes what it made', async () => {
    // Prepare: a connected reference agent; the kit is stopped once its second rotation is in flight.
    const started = await startLocal();
    env = started;
    const running = await startDevice(started.local, THING);
    device = running;
    await eventually('the agent connected', async () =>
      running.events.some((e) => e.type === 'connected') ? true : undefined,
    );
    const stop = new AbortController();
    const out: string[] = [];
    const stopDuringSecondRotation = async (): Promise<void> => {
      await eventually(
        'the second rotation in flight',
        async () =>
          (await rotationRecord(started.local, THING))?.status === 'IN_PROGRESS' ? true : undefined,
        240_000,
      );
      stop.abort();
    };

    // Act
    const code = await runDeviceCommand(
      ['test', THING, '--local', '--state-dir', started.dir, '--check-timeout', '240'],
      {
        stdout: (line) => {
          out.push(line);
          if (line === 'PASS happy-rotation') void stopDuringSecondRotation();
        },
        stderr: () => undefined,
        signal: stop.signal,
      },
    );

    // Assess
    expect(code).toBe(1);
    expect(out).toEqual([
      'PASS happy-rotation',
      'FAIL duplicate-csr-req: interrupted',
      `1 of 6 checks passed for ${THING} (interrupted: 2 of 6 run)`,
    ]);
    expect((await rotationRecord(started.local, THING))?.status).not.toBe('IN_PROGRESS');
    // The abandoned rotation's new certificate is revoked by the outcome recorder, after the stop.
    const held = await eventually('the thing back on one certificate', async () => {
      const ids = await thingCertificateIds(started.local, THING);
      return ids.length === 1 ? ids : undefined;
    });
    expect(await certificateStatus(started.local, held[0] ?? '')).toBe('ACTIVE');
    const { policies } = await started.local.clients.iot.send(new ListPoliciesCommand({}));
    expect((policies ?? []).map((p) => p.policyName)).toEqual(['recert-device']);
  }, 900_000);
});
