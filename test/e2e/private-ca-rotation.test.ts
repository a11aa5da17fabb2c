import { X509Certificate } from 'node:crypto';
import { DescribeCertificateCommand, StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSimulator } from '../../device/fleet/fleet-simulator.ts';
import type { LocalAws } from '../../local/stack/local-aws.ts';
import {
  certificatePolicies,
  certificateStatus,
  eventually,
  fleetOn,
  provisionOne,
  rotationRecord,
  startLocal,
  stopLocal,
  thingCertificateIds,
  untilConnected,
} from './helpers.ts';

/**
 * A deployment with `recert:issuer=acm-pca`, end to end on the local AWS: its ACM Private CA issues
 * the new certificate with the chosen validity (the first GetCertificate finds it still being
 * signed), AWS IoT registers it without its CA, and the device proves it by connecting with it.
 */
const VALIDITY_DAYS = 90;
const DAY_MS = 86_400_000;

describe('a rotation whose certificate an ACM Private CA issues', () => {
  let env: { local: LocalAws; dir: string } | undefined;
  let fleet: FleetSimulator | undefined;

  beforeAll(async () => {
    // The functions on a worker thread, as the benchmark and `npm start` run them: the private CA's
    // settings cross to it as plain data and its client is built there.
    env = await startLocal({
      privateCa: { validityDays: VALIDITY_DAYS, pollsBeforeReady: 1 },
      functionWorkers: 1,
    });
  });

  afterAll(async () => {
    await fleet?.stop();
    await stopLocal(env);
  });

  it('issues from the private CA for the chosen validity, registers it without the CA, and retires the old one', async () => {
    // Prepare: one connected device whose certificate (from AWS IoT's CA) expires in 10 days.
    if (!env) throw new Error('no local AWS');
    const { local } = env;
    const privateCa = local.privateCa;
    if (!privateCa) throw new Error('the local AWS runs no private CA');
    fleet = await fleetOn(local);
    const device = await provisionOne(fleet, local, 'pca', 10);
    await fleet.start();
    await untilConnected(fleet, device);
    const oldId = device.initialCertificateId;
    const oldPolicies = await certificatePolicies(local, oldId);
    const iotBefore = local.iot.apiCallCounts();

    // Act: the audit finds the expiring certificate; its campaign starts the rotation.
    await local.clients.iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] }),
    );
    const record = await eventually(
      `${device.thingName} rotated`,
      async () => {
        const r = await rotationRecord(local, device.thingName);
        return r?.status === 'SUCCEEDED' ? r : undefined;
      },
      60_000,
    );
    const newId = String(record.newCertificateId);
    await eventually(`${device.thingName} connected with its new certificate`, async () => {
      const s = fleet?.device(device.thingName)?.state();
      return s?.connected && s.certificateId === newId ? s : undefined;
    });

    // Assess: signed by the private CA, for the validity asked, with the device's own subject.
    const { certificateDescription: described } = await local.clients.iot.send(
      new DescribeCertificateCommand({ certificateId: newId }),
    );
    expect(described).toMatchObject({ status: 'ACTIVE', certificateMode: 'SNI_ONLY' });
    const issued = new X509Certificate(described?.certificatePem ?? '');
    const ca = new X509Certificate(privateCa.certificatePem());
    expect(issued.checkIssued(ca)).toBe(true);
    expect(issued.verify(ca.publicKey)).toBe(true);
    expect(issued.subject).toContain(`CN=${device.thingName}`);
    const lifetime = Date.parse(issued.validTo) - Date.parse(issued.validFrom);
    // notBefore is a minute back, as clocks differ; X.509 times are whole seconds.
    expect(Math.abs(lifetime - (VALIDITY_DAYS * DAY_MS + 60_000))).toBeLessThanOrEqual(2_000);
    // The calls the pacing counts for a private CA: one issue, two polls, one registration.
    expect(privateCa.callCounts()).toMatchObject({ IssueCertificate: 1, GetCertificate: 2 });
    const iotAfter = local.iot.apiCallCounts();
    const delta = (op: string) => (iotAfter[op] ?? 0) - (iotBefore[op] ?? 0);
    expect(delta('RegisterCertificateWithoutCA')).toBe(1);
    expect(delta('CreateCertificateFromCsr')).toBe(0);
    // The old certificate's policies and thing moved over; the old one is gone.
    expect(await certificatePolicies(local, newId)).toEqual(oldPolicies);
    expect(await thingCertificateIds(local, device.thingName)).toEqual([newId]);
    expect(await certificateStatus(local, oldId)).toBe('DELETED');
  }, 90_000);
});
