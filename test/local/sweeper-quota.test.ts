import { describe, expect, it } from 'vitest';
import { RetiredCertificates } from '../../functions/event-triggered/retired-certificate-sweeper/retired-entries.ts';
import { ApiQuotas } from '../../local/iot/quotas/api-quotas.ts';
import { functionName } from '../../local/stack/function-wiring.ts';
import { useTempLocalAws } from './temp-local-aws.ts';

const PORTS = { stepFunctions: 0, iot: 0, mqtt: 0, dynamodb: 0, events: 0 } as const;
const CERTIFICATES = 16;

describe('the retired-certificate sweeper against the local IoT with AWS quotas enforced', () => {
  const temp = useTempLocalAws('recert-sweeper-');

  it('deletes 16 due certificates at its 2 per second, none throttled, leaving DeleteCertificate room for campaigns', async () => {
    // Prepare: a clock at twice real time (the quotas run on it too), 16 INACTIVE certificates whose grace ended.
    const local = await temp.start({
      stateDir: await temp.makeStateDir(),
      ports: PORTS,
      clockSpeed: 2,
      quotas: true,
      functionSettings: { graceDays: 1 },
    });
    const entries = new RetiredCertificates(local.clients.dynamodb, local.resources.campaignTableName);
    const ids: string[] = [];
    for (let n = 0; n < CERTIFICATES; n++) {
      const { record } = await local.iot.registry.certificates.createKeysAndCertificate({
        setAsActive: false,
      });
      ids.push(record.certificateId);
      await entries.put({
        thingName: `thing-${n}`,
        certificateId: record.certificateId,
        rotationId: `r-${n}`,
        deleteAfter: local.clock.now() - 60_000,
      });
    }

    // Act
    const started = local.clock.now();
    const report = await local.functions.invoke(functionName('retired-certificate-sweeper'), {});
    const elapsedS = (local.clock.now() - started) / 1000;

    // Assess
    const quotas: unknown = Reflect.get(local.iot, 'quotas');
    const throttled = quotas instanceof ApiQuotas ? (quotas.throttledCounts().DeleteCertificate ?? 0) : -1;
    const rate = (CERTIFICATES - 1) / elapsedS;
    console.log(
      `sweeper: ${JSON.stringify(report)} in ${elapsedS.toFixed(1)} s of clock (${rate.toFixed(2)}/s), ${throttled} throttled`,
    );
    expect(report).toMatchObject({ deleted: CERTIFICATES, failed: 0, stoppedBy: 'done' });
    expect(throttled).toBe(0);
    expect(rate).toBeLessThanOrEqual(2.05);
    // Each delete waits for its slot; only a machine too loaded to keep up makes it slower.
    expect(rate).toBeGreaterThan(1);
    for (const id of ids) expect(local.iot.registry.certificates.find(id)).toBeUndefined();
  });
});
