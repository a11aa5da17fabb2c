import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import type { LocalAws } from '../../local/stack/local-aws.ts';
import { executionName } from '../../workflows/rotate-device/naming.ts';
import { certificateStatus, eventually, thingCertificateIds } from './helpers.ts';
import { JumpClock } from './jump-clock.ts';
import { onlyDevice, recordWithStatus, scenarioPerTest } from './scenario.ts';

const HOUR = 3_600_000;
// Two rotations and two sweeps: bounded, but slow on a busy machine. Deadlines only a failure reaches.
const ROTATION_DEADLINE_MS = 120_000;
const TEST_TIMEOUT_MS = 300_000;

/** Starts one rotation by hand, as an operator does, and waits for it to succeed. */
async function rotate(local: LocalAws, thingName: string, oldCertificateId: string): Promise<string> {
  await local.clients.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: local.resources.stateMachineArn,
      name: executionName(thingName, oldCertificateId),
      input: JSON.stringify({ thingName, oldCertificateId }),
    }),
  );
  const record = await eventually(
    'the rotation to succeed',
    async () => {
      const r = await recordWithStatus(local, thingName, ['SUCCEEDED', 'FAILED', 'IN_PROGRESS']);
      return r.status !== 'IN_PROGRESS' && r.oldCertificateId === oldCertificateId ? r : undefined;
    },
    ROTATION_DEADLINE_MS,
  );
  expect(record.status).toBe('SUCCEEDED');
  return String(record.newCertificateId);
}

describe('old certificates kept for a grace period of one day', () => {
  const startScenario = scenarioPerTest();

  it(
    'are INACTIVE after the rotation and deleted when the day is over, even when the thing rotated again meanwhile',
    async () => {
      // Prepare
      const clock = new JumpClock();
      const scenario = await startScenario({
        behaviours: ['healthy'],
        prefix: 'grace',
        local: { clock, functionSettings: { graceDays: 1 }, scheduleWallGapMs: 20 },
      });
      const { local } = scenario;
      const device = onlyDevice(scenario);
      const first = device.initialCertificateId;

      // Act: one rotation; half a day later, a second one of the same thing.
      const second = await rotate(local, device.thingName, first);
      expect(await certificateStatus(local, first)).toBe('INACTIVE');
      expect(await thingCertificateIds(local, device.thingName)).toEqual([second]);
      await eventually('the device on its new certificate', async () =>
        device.state().connected && device.state().certificateId === second ? true : undefined,
      );
      clock.jump(12 * HOUR);
      const third = await rotate(local, device.thingName, second);
      expect(await certificateStatus(local, second)).toBe('INACTIVE');

      // Assess: past the first deadline only the first certificate goes...
      clock.jump(12 * HOUR + 20 * 60_000);
      await eventually('the first certificate deleted', async () =>
        (await certificateStatus(local, first)) === 'DELETED' ? true : undefined,
      );
      expect(await certificateStatus(local, second)).toBe('INACTIVE');

      // ...and past the second deadline the second one, while the one in use stays.
      clock.jump(12 * HOUR);
      await eventually('the second certificate deleted', async () =>
        (await certificateStatus(local, second)) === 'DELETED' ? true : undefined,
      );
      expect(await certificateStatus(local, third)).toBe('ACTIVE');
      expect(await thingCertificateIds(local, device.thingName)).toEqual([third]);
      await eventually('the device on its newest certificate', async () =>
        device.state().connected && device.state().certificateId === third ? true : undefined,
      );
    },
    TEST_TIMEOUT_MS,
  );
});
