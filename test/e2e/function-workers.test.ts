import { StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBehaviourMix } from '../../device/fleet/behaviour-mix.ts';
import type { FleetSimulator } from '../../device/fleet/fleet-simulator.ts';
import { planFleet } from '../../device/fleet/fleet-simulator.ts';
import { ManualClock } from '../../lib/clock.ts';
import { LocalAws } from '../../local/stack/local-aws.ts';
import {
  ANY_PORTS,
  certificateStatus,
  eventually,
  fleetOn,
  rotationRecord,
  startLocal,
  stopLocal,
  thingCertificateIds,
} from './helpers.ts';

const DAY = 86_400_000;

describe('the local AWS with its functions on a worker thread', () => {
  let env: { local: LocalAws; dir: string } | undefined;
  let fleet: FleetSimulator | undefined;

  beforeAll(async () => {
    env = await startLocal({ functionWorkers: 1 });
  });

  afterAll(async () => {
    await fleet?.stop();
    await stopLocal(env);
  });

  it('rotates devices through the same workflow, its functions running on a worker thread', async () => {
    // Prepare
    if (!env) throw new Error('no local AWS');
    const { local } = env;
    const now = local.clock.now();
    fleet = await fleetOn(local);
    const devices = await fleet.provision(
      planFleet({
        size: 2,
        mix: parseBehaviourMix('healthy=100'),
        prefix: 'wrk',
        validity: () => ({ notBefore: new Date(now - DAY), notAfter: new Date(now + 10 * DAY) }),
      }),
    );
    await fleet.start();

    // Act
    await local.clients.iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] }),
    );

    // Assess
    for (const device of devices) {
      await eventually(`${device.thingName} rotated`, async () => {
        const record = await rotationRecord(local, device.thingName);
        return record?.status === 'SUCCEEDED' ? record : undefined;
      });
      const [newId, ...others] = await thingCertificateIds(local, device.thingName);
      expect(others).toEqual([]);
      expect(newId).not.toBe(device.initialCertificateId);
      expect(await certificateStatus(local, newId ?? '')).toBe('ACTIVE');
      expect(await certificateStatus(local, device.initialCertificateId)).toBe('DELETED');
    }
    expect(local.functions.invocations().get('recert-request-csr')).toBeGreaterThanOrEqual(2);
    expect(await fleet.devicesWithoutWorkingCredentials()).toEqual([]);
  });

  it('refuses function workers with a clock of the caller, which another thread cannot read', async () => {
    // Act
    const start = LocalAws.start({
      stateDir: `${env?.dir ?? '/tmp'}-manual`,
      ports: ANY_PORTS,
      clock: new ManualClock(),
      functionWorkers: 1,
    });

    // Assess
    await expect(start).rejects.toMatchObject({ name: 'FunctionWorkersNeedScaledClockError' });
  });
});
