import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceBehaviour } from '../../../device/agent/behaviour.ts';
import { runDeviceCommand } from '../../../device/cli.ts';
import { eventually, startLocal, stopLocal } from '../../e2e/helpers.ts';
import { acksOverOldCertificate, neverAcks, reusesItsKey, startDevice, type TestDevice } from './devices.ts';

/**
 * Long enough for a busy machine to deliver a certificate many times over; a device that never
 * proves it fails the check when this runs out.
 */
const CHECK_TIMEOUT_SECONDS = '120';

interface KitResult {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

describe('recert device test against broken devices', () => {
  let env: Awaited<ReturnType<typeof startLocal>> | undefined;
  const devices: TestDevice[] = [];

  beforeAll(async () => {
    env = await startLocal();
  }, 120_000);

  afterAll(async () => {
    for (const device of devices) await device.agent.stop();
    await stopLocal(env);
  }, 120_000);

  async function kitAgainst(
    thing: string,
    behaviour: DeviceBehaviour,
    check = 'happy-rotation',
  ): Promise<KitResult> {
    if (!env) throw new Error('no local AWS');
    const device = await startDevice(env.local, thing, behaviour);
    devices.push(device);
    await eventually(`${thing} connected`, async () =>
      device.events.some((e) => e.type === 'connected') ? true : undefined,
    );
    const out: string[] = [];
    const err: string[] = [];
    const code = await runDeviceCommand(
      [
        'test',
        thing,
        '--local',
        '--state-dir',
        env.dir,
        '--check-timeout',
        CHECK_TIMEOUT_SECONDS,
        '--checks',
        check,
      ],
      { stdout: (line) => out.push(line), stderr: (line) => err.push(line) },
    );
    return { code, out, err };
  }

  it('fails each on the happy rotation, naming what the device did wrong', async () => {
    // Prepare + Act: the three devices on one local AWS, their kits side by side.
    const [overOld, sameKey, silent] = await Promise.all([
      kitAgainst('acks-over-old', acksOverOldCertificate),
      kitAgainst('reuses-key', reusesItsKey),
      kitAgainst('never-acks', neverAcks),
    ]);

    // Assess
    for (const result of [overOld, sameKey, silent]) {
      expect(result.code).toBe(1);
      expect(result.err).toEqual([]);
      expect(result.out).toHaveLength(2);
      expect(result.out[1]).toMatch(/^0 of 1 checks passed for /);
    }
    expect(overOld.out[0]).toMatch(
      /^FAIL happy-rotation: the device sent crt_ack without connecting with the new certificate/,
    );
    expect(sameKey.out[0]).toMatch(
      /^FAIL happy-rotation: the device's CSR reuses the key of its current certificate/,
    );
    expect(sameKey.out[0]).toContain('CsrKeyReused');
    expect(silent.out[0]).toBe(
      `FAIL happy-rotation: the device did not acknowledge the delivered certificate: no crt_ack within ${CHECK_TIMEOUT_SECONDS} s`,
    );
  }, 600_000);

  it('fails a device that answers a refused CSR with the same key on the rejected-CSR check', async () => {
    // Act
    const result = await kitAgainst('reuses-key-again', reusesItsKey, 'rejected-csr');

    // Assess
    expect(result.code).toBe(1);
    expect(result.err).toEqual([]);
    expect(result.out).toEqual([
      'FAIL rejected-csr: the CSR sent after the refusal reuses the refused key',
      '0 of 1 checks passed for reuses-key-again',
    ]);
  }, 300_000);
});
