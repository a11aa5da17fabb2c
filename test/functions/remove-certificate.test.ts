import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DescribeCertificateCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { afterEach, describe, expect, it } from 'vitest';
import { removeCertificate } from '../../workflows/rotate-device/certificates.ts';
import { startCore, type TestCore } from '../local/iot/helpers/core.ts';

const DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }],
});

let t: TestCore | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** A thing with an ACTIVE certificate carrying `policies`, as a device's old certificate is. */
async function deviceCertificate(core: TestCore, policies: readonly string[]) {
  await core.iot.send(new CreateThingCommand({ thingName: 'dev-1' }));
  const cert = await core.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  const certificateId = cert.certificateId ?? '';
  const certificateArn = cert.certificateArn ?? '';
  await core.iot.send(new AttachThingPrincipalCommand({ thingName: 'dev-1', principal: certificateArn }));
  for (const policyName of policies) {
    await core.iot.send(new CreatePolicyCommand({ policyName, policyDocument: DOC }));
    await core.iot.send(new AttachPolicyCommand({ policyName, target: certificateArn }));
  }
  return { certificateId, certificateArn };
}

/** What the retire step asks for a certificate of 'dev-1' it removes, knowing its ARN and `policyNames`. */
const deletion = (
  cert: { certificateId: string; certificateArn: string },
  policyNames: readonly string[],
) => ({
  certificateId: cert.certificateId,
  thingName: 'dev-1',
  keep: false,
  certificateArn: cert.certificateArn,
  policyNames: [...policyNames],
});

/** Calls per operation made by `act`, as the local IoT counted them. */
async function counted(core: TestCore, act: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = core.core.apiCallCounts();
  await act();
  const after = core.core.apiCallCounts();
  const calls: Record<string, number> = {};
  for (const [operation, count] of Object.entries(after)) {
    const made = count - (before[operation] ?? 0);
    if (made > 0) calls[operation] = made;
  }
  return calls;
}

async function gone(core: TestCore, certificateId: string): Promise<boolean> {
  try {
    await core.iot.send(new DescribeCertificateCommand({ certificateId }));
    return false;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return true;
    throw error;
  }
}

describe('removeCertificate against the local IoT', () => {
  it('with the ARN and policies known: no describe, no listing, one deactivation, one delete', async () => {
    // Prepare
    t = await startCore();
    const core = t;
    const cert = await deviceCertificate(core, ['p-a', 'p-b']);
    // Act
    const calls = await counted(core, () => removeCertificate(core.iot, deletion(cert, ['p-a', 'p-b'])));
    // Assess
    expect(calls).toEqual({
      DetachThingPrincipal: 1,
      DetachPolicy: 2,
      UpdateCertificate: 1,
      DeleteCertificate: 1,
    });
    expect(await gone(core, cert.certificateId)).toBe(true);
  });

  it('a policy attached after the names were recorded: the delete conflicts, one listing, deleted', async () => {
    // Prepare: the record knows p-a; p-late was attached since.
    t = await startCore();
    const core = t;
    const cert = await deviceCertificate(core, ['p-a', 'p-late']);
    // Act
    const calls = await counted(core, () => removeCertificate(core.iot, deletion(cert, ['p-a'])));
    // Assess
    expect(calls).toEqual({
      DetachThingPrincipal: 1,
      DetachPolicy: 2,
      ListAttachedPolicies: 1,
      UpdateCertificate: 1,
      DeleteCertificate: 2,
    });
    expect(await gone(core, cert.certificateId)).toBe(true);
  });

  it('the thing detach not yet visible: retried later, and the retry finishes the job', async () => {
    // Prepare: DetachThingPrincipal is eventually consistent, as on AWS.
    t = await startCore({ detachThingPrincipalDelayMs: 5_000 });
    const core = t;
    const cert = await deviceCertificate(core, ['p-a']);
    const request = deletion(cert, ['p-a']);
    // Act
    const first = removeCertificate(core.iot, request);
    await expect(first).rejects.toMatchObject({ name: 'TransientAwsError' });
    await core.clock.advance(5_000);
    const outcome = await removeCertificate(core.iot, request);
    // Assess
    expect(outcome).toBe('deleted');
    expect(await gone(core, cert.certificateId)).toBe(true);
  });

  it('a certificate already gone is absent, whatever the record knew', async () => {
    // Prepare
    t = await startCore();
    const core = t;
    const cert = await deviceCertificate(core, ['p-a']);
    const request = deletion(cert, ['p-a']);
    await removeCertificate(core.iot, request);
    // Act / Assess: a redriven step finds nothing to do.
    await expect(removeCertificate(core.iot, request)).resolves.toBe('absent');
  });
});
