import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ListAttachedPoliciesCommand, ListPrincipalThingsCommand } from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { useStarted } from '../started.ts';
import { CLOCK_START, startCore } from './helpers/core.ts';
import { connectDevice, end } from './helpers/mqtt.ts';

const DAY = 24 * 60 * 60 * 1000;

describe('fast fleet provisioning', () => {
  const t = useStarted(() => startCore());

  it('provisions a device whose certificate expires in 10 days, attached and allowed to connect', async () => {
    // Act
    const device = await t.core.provisionDevice({
      thingName: 'fleet-0001',
      validity: { durationMs: 10 * DAY },
    });
    const client = await connectDevice(t.core, device, { clientId: 'fleet-0001' });
    await end(client);

    // Assess
    const cert = new X509Certificate(device.certificatePem);
    expect(Date.parse(cert.validTo)).toBe(CLOCK_START + 10 * DAY);
    expect(cert.checkIssued(new X509Certificate(readFileSync(t.core.deviceCaPath)))).toBe(true);
    expect(device.notAfter).toBe(CLOCK_START + 10 * DAY);
    const things = await t.iot.send(new ListPrincipalThingsCommand({ principal: device.certificateArn }));
    const policies = await t.iot.send(new ListAttachedPoliciesCommand({ target: device.certificateArn }));
    expect(things.things).toEqual(['fleet-0001']);
    expect(policies.policies?.map((p) => p.policyName)).toEqual(['recert-device']);
  });

  it('provisions hundreds of devices quickly, each with its own certificate', async () => {
    // Act
    const started = performance.now();
    const devices = [];
    for (let i = 0; i < 300; i++) {
      devices.push(
        await t.core.provisionDevice({ thingName: `bulk-${i}`, validity: { durationMs: 10 * DAY } }),
      );
    }
    const elapsed = performance.now() - started;

    // Assess
    expect(new Set(devices.map((d) => d.certificateId)).size).toBe(300);
    expect([...t.core.registry.listCertificates()].filter((c) => c.status === 'ACTIVE')).toHaveLength(300);
    // Generous bound for a shared 2-core machine; the figure itself is reported, not asserted.
    expect(elapsed).toBeLessThan(20_000);
  });

  it('can provision an already expired certificate, which the broker then refuses', async () => {
    // Act
    const device = await t.core.provisionDevice({
      thingName: 'expired',
      validity: { notAfter: CLOCK_START - DAY },
    });

    // Assess
    expect(device.notAfter).toBe(CLOCK_START - DAY);
    await expect(connectDevice(t.core, device, { clientId: 'expired' })).rejects.toThrow(/Not authorized/);
  });

  it('refuses an unknown policy without leaving a certificate behind', async () => {
    // Act
    const attempt = t.core.provisionDevice({ thingName: 'x', policyName: 'missing' });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect([...t.core.registry.listCertificates()]).toEqual([]);
  });
});
