import { StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBehaviourMix } from '../../device/fleet/behaviour-mix.ts';
import type { FleetSimulator } from '../../device/fleet/fleet-simulator.ts';
import { planFleet } from '../../device/fleet/fleet-simulator.ts';
import type { LocalAws } from '../../local/stack/local-aws.ts';
import {
  certificatePolicies,
  certificateStatus,
  eventually,
  executionEnded,
  fleetOn,
  rotationRecord,
  startLocal,
  stopLocal,
  thingCertificateIds,
} from './helpers.ts';

const DAY = 86_400_000;

describe('a fleet rotation on the local AWS', () => {
  let env: { local: LocalAws; dir: string } | undefined;
  let fleet: FleetSimulator | undefined;

  beforeAll(async () => {
    env = await startLocal();
  });

  afterAll(async () => {
    await fleet?.stop();
    await stopLocal(env);
  });

  it('rotates exactly the devices the audit finds, through the real workflow, and retires the old certificates', async () => {
    // Prepare: three devices whose certificates expire in 10 days, one valid for a year.
    if (!env) throw new Error('no local AWS');
    const { local } = env;
    const now = local.clock.now();
    fleet = await fleetOn(local);
    const specs = planFleet({
      size: 4,
      mix: parseBehaviourMix('healthy=100'),
      prefix: 'e2e',
      validity: (index) => ({
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + (index < 3 ? 10 : 365) * DAY),
      }),
    });
    const devices = await fleet.provision(specs);
    await fleet.start();
    const initial = new Map(devices.map((d) => [d.thingName, d.initialCertificateId]));

    // Act: the audit finds the expiring certificates; its notification starts the rotations.
    await local.clients.iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] }),
    );
    const expiring = ['e2e-0', 'e2e-1', 'e2e-2'];
    for (const thingName of expiring) {
      await eventually(`${thingName} rotated`, async () => {
        const record = await rotationRecord(local, thingName);
        return record?.status === 'SUCCEEDED' ? record : undefined;
      });
    }

    // Assess: each rotated device holds one ACTIVE certificate, new, with the old one's policies and
    // thing, and it is connected with it; the old certificate is gone.
    for (const thingName of expiring) {
      const oldId = initial.get(thingName) ?? '';
      const [newId, ...others] = await thingCertificateIds(local, thingName);
      expect(others).toEqual([]);
      expect(newId).toBeDefined();
      expect(newId).not.toBe(oldId);
      expect(await certificateStatus(local, newId ?? '')).toBe('ACTIVE');
      expect(await certificatePolicies(local, newId ?? '')).toEqual([local.resources.devicePolicyName]);
      expect(await certificateStatus(local, oldId)).toBe('DELETED');
      const state = await eventually(`${thingName} connected with its new certificate`, async () => {
        const s = fleet?.device(thingName)?.state();
        return s?.connected && s.certificateId === newId ? s : undefined;
      });
      expect(state.rotations).toBe(1);
    }
    // The device outside the threshold was not touched.
    expect(await rotationRecord(local, 'e2e-3')).toBeUndefined();
    expect(await thingCertificateIds(local, 'e2e-3')).toEqual([initial.get('e2e-3')]);
    expect(await fleet.devicesWithoutWorkingCredentials()).toEqual([]);

    // The happy path's billed state transitions, as the engine counts them.
    const record = await rotationRecord(local, 'e2e-0');
    const executionArn = String(record?.executionArn);
    expect((await executionEnded(local, executionArn)).status).toBe('SUCCEEDED');
    expect(local.stepFunctions.billedTransitions(executionArn)).toBeLessThanOrEqual(12);
  });
});
