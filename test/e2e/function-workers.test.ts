import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../lib/clock.ts';
import { LocalAws } from '../../local/stack/local-aws.ts';
import { ANY_PORTS, certificateStatus, thingCertificateIds } from './helpers.ts';
import { recordWithStatus, runAudit, scenarioPerTest } from './scenario.ts';

describe('the local AWS with its functions on a worker thread', () => {
  const startScenario = scenarioPerTest();

  it('rotates devices through the same workflow, its functions running on a worker thread', async () => {
    // Prepare
    const { local, fleet, devices } = await startScenario({
      behaviours: ['healthy', 'healthy'],
      prefix: 'wrk',
      expiresInDays: 10,
      local: { functionWorkers: 1 },
    });

    // Act
    await runAudit(local);

    // Assess
    for (const device of devices) {
      await recordWithStatus(local, device.thingName, ['SUCCEEDED']);
      const [newId = '', ...others] = await thingCertificateIds(local, device.thingName);
      expect(others).toEqual([]);
      expect(newId).not.toBe(device.initialCertificateId);
      expect(await certificateStatus(local, newId)).toBe('ACTIVE');
      expect(await certificateStatus(local, device.initialCertificateId)).toBe('DELETED');
    }
    expect(local.functions.invocations().get('recert-request-csr')).toBeGreaterThanOrEqual(2);
    expect(await fleet.devicesWithoutWorkingCredentials()).toEqual([]);
  });

  it('refuses function workers with a clock of the caller, which another thread cannot read', async () => {
    // Prepare
    const stateDir = await mkdtemp(join(tmpdir(), 'recert-e2e-manual-'));

    // Act
    const start = LocalAws.start({
      stateDir,
      ports: ANY_PORTS,
      clock: new ManualClock(),
      functionWorkers: 1,
    });

    // Assess
    await expect(start).rejects.toMatchObject({ name: 'FunctionWorkersNeedScaledClockError' });
    await rm(stateDir, { recursive: true, force: true });
  });
});
