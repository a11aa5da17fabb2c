import { X509Certificate } from 'node:crypto';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { certificatePolicies, certificateStatus, thingCertificateIds, untilConnected } from './helpers.ts';
import { connectedWith, recordWithStatus, runAudit, scenarioPerTest } from './scenario.ts';

/**
 * A deployment with `recert:issuer=acm-pca`, end to end on the local AWS: its ACM Private CA issues
 * the new certificate with the chosen validity (the first GetCertificate finds it still being
 * signed), AWS IoT registers it without its CA, and the device proves it by connecting with it.
 */
const VALIDITY_DAYS = 90;
const DAY_MS = 86_400_000;

describe('a rotation whose certificate an ACM Private CA issues', () => {
  const startScenario = scenarioPerTest();

  it('issues from the private CA for the chosen validity, registers it without the CA, and retires the old one', async () => {
    // Prepare: one connected device whose certificate (from AWS IoT's CA) expires in 10 days. The
    // functions run on a worker thread, as the benchmark and `npm start` run them: the private CA's
    // settings cross to it as plain data and its client is built there.
    const { local, fleet, devices } = await startScenario({
      behaviours: ['healthy'],
      prefix: 'pca',
      expiresInDays: 10,
      local: { privateCa: { validityDays: VALIDITY_DAYS, pollsBeforeReady: 1 }, functionWorkers: 1 },
    });
    const [device] = devices;
    const privateCa = local.privateCa;
    if (!device || !privateCa) throw new Error('no device, or the local AWS runs no private CA');
    await untilConnected(fleet, device);
    const oldId = device.initialCertificateId;
    const oldPolicies = await certificatePolicies(local, oldId);
    const iotBefore = local.iot.apiCallCounts();

    // Act: the audit finds the expiring certificate; its campaign starts the rotation.
    await runAudit(local);
    const record = await recordWithStatus(local, device.thingName, ['SUCCEEDED'], 60_000);
    const newId = String(record.newCertificateId);
    await connectedWith(device, newId);

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
