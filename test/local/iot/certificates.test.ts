import { createHash, X509Certificate } from 'node:crypto';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CertificateStateException,
  CertificateValidationException,
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DeleteCACertificateCommand,
  DeleteCertificateCommand,
  DeleteConflictException,
  DescribeCACertificateCommand,
  DescribeCertificateCommand,
  DetachThingPrincipalCommand,
  GetRegistrationCodeCommand,
  InvalidRequestException,
  ListAttachedPoliciesCommand,
  ListCACertificatesCommand,
  paginateListCertificates,
  RegisterCACertificateCommand,
  RegisterCertificateCommand,
  RegisterCertificateWithoutCACommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateCACertificateCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { subtle, x509 } from '../../../local/iot/ca/certificates.ts';
import { useStarted } from '../started.ts';
import { CLOCK_START, startCore } from './helpers/core.ts';
import { makeCa, makeCsr, selfSigned, signByCa } from './helpers/pki.ts';

const DAY = 24 * 60 * 60 * 1000;
const ALLOW_ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }],
});

describe('certificate lifecycle through the IoT SDK', () => {
  const t = useStarted(() => startCore());

  it('issues a certificate from a CSR whose id is the SHA-256 of its DER, signed by the device CA', async () => {
    // Prepare
    const { csrPem } = await makeCsr('thing-7');

    // Act
    const issued = await t.iot.send(
      new CreateCertificateFromCsrCommand({ certificateSigningRequest: csrPem }),
    );

    // Assess
    const cert = new X509Certificate(issued.certificatePem ?? '');
    expect(issued.certificateId).toBe(createHash('sha256').update(cert.raw).digest('hex'));
    expect(issued.certificateArn).toBe(`arn:aws:iot:us-east-1:000000000000:cert/${issued.certificateId}`);
    expect(cert.subject).toBe('CN=thing-7');
    expect(cert.verify(new X509Certificate(await readFile(t.core.deviceCaPath)).publicKey)).toBe(true);
    expect(new Date(cert.validTo).toISOString()).toBe('2049-12-31T23:59:59.000Z');
    const described = await t.iot.send(
      new DescribeCertificateCommand({ certificateId: issued.certificateId }),
    );
    expect(described.certificateDescription?.status).toBe('INACTIVE');
  });

  it('issues from RSA 2048 and P-384 CSRs too, keeping the subject of the CSR', async () => {
    // Prepare
    const rsa = await subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    );
    const p384 = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
    const rsaCsr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=rsa-thing, O=Acme',
      keys: rsa,
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    });
    const ecCsr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=p384-thing',
      keys: p384,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    });

    // Act
    const fromRsa = await t.iot.send(
      new CreateCertificateFromCsrCommand({ certificateSigningRequest: rsaCsr.toString('pem') }),
    );
    const fromEc = await t.iot.send(
      new CreateCertificateFromCsrCommand({ certificateSigningRequest: ecCsr.toString('pem') }),
    );

    // Assess
    const a = new X509Certificate(fromRsa.certificatePem ?? '');
    const b = new X509Certificate(fromEc.certificatePem ?? '');
    expect(a.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(a.subject.split('\n').sort()).toEqual(['CN=rsa-thing', 'O=Acme']);
    expect(b.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
  });

  it('issues certificates with the configured validity (a fleet that expires in 10 days)', async () => {
    // Prepare
    const short = await startCore({ issuedCertificateValidity: { durationMs: 10 * DAY } });
    try {
      // Act
      const created = await short.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));

      // Assess
      const d = await short.iot.send(
        new DescribeCertificateCommand({ certificateId: created.certificateId }),
      );
      expect(d.certificateDescription?.validity?.notAfter?.getTime()).toBe(CLOCK_START + 10 * DAY);
      expect(d.certificateDescription?.status).toBe('ACTIVE');
      expect(created.keyPair?.PrivateKey).toContain('PRIVATE KEY');
    } finally {
      await short.close();
    }
  });

  it('rejects a malformed or tampered CSR with InvalidRequestException', async () => {
    // Prepare
    const { csrPem } = await makeCsr('thing-8');
    const body = csrPem.split('\n');
    const line = body[3] ?? '';
    body[3] = line.slice(0, 10) + (line[10] === 'A' ? 'B' : 'A') + line.slice(11);
    const tampered = body.join('\n');

    // Act / Assess
    await expect(
      t.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: 'not a csr' })),
    ).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(
      t.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: tampered })),
    ).rejects.toBeInstanceOf(InvalidRequestException);
  });

  it('refuses to delete an ACTIVE or attached certificate and deletes it once retired', async () => {
    // Prepare
    const cert = await t.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const certificateId = cert.certificateId ?? '';
    const principal = cert.certificateArn ?? '';
    await t.iot.send(new CreateThingCommand({ thingName: 'dev-1' }));
    await t.iot.send(new CreatePolicyCommand({ policyName: 'all', policyDocument: ALLOW_ALL }));
    await t.iot.send(new AttachThingPrincipalCommand({ thingName: 'dev-1', principal }));
    await t.iot.send(new AttachPolicyCommand({ policyName: 'all', target: principal }));

    // Act / Assess: each rule in turn
    await expect(t.iot.send(new DeleteCertificateCommand({ certificateId }))).rejects.toBeInstanceOf(
      CertificateStateException,
    );
    await t.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
    await expect(t.iot.send(new DeleteCertificateCommand({ certificateId }))).rejects.toBeInstanceOf(
      DeleteConflictException,
    );
    await t.iot.send(new DetachThingPrincipalCommand({ thingName: 'dev-1', principal }));
    await expect(t.iot.send(new DeleteCertificateCommand({ certificateId }))).rejects.toBeInstanceOf(
      DeleteConflictException,
    );
    await t.iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: true }));
    await expect(t.iot.send(new DescribeCertificateCommand({ certificateId }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(t.iot.send(new ListAttachedPoliciesCommand({ target: principal }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('keeps REVOKED terminal and validates status values and ids', async () => {
    // Prepare
    const cert = await t.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const certificateId = cert.certificateId ?? '';

    // Act
    await t.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'REVOKED' }));

    // Assess
    await expect(
      t.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' })),
    ).rejects.toBeInstanceOf(CertificateStateException);
    await expect(
      t.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'PENDING_TRANSFER' })),
    ).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(t.iot.send(new DescribeCertificateCommand({ certificateId: 'abc' }))).rejects.toBeInstanceOf(
      InvalidRequestException,
    );
    await expect(
      t.iot.send(new UpdateCertificateCommand({ certificateId: 'f'.repeat(64), newStatus: 'INACTIVE' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('registers a CA with proof of possession, then certificates it signed; refuses others', async () => {
    // Prepare
    const ca = await makeCa('Fleet CA', CLOCK_START - DAY, CLOCK_START + 3650 * DAY);
    const { registrationCode } = await t.iot.send(new GetRegistrationCodeCommand({}));
    const proof = await signByCa(ca, registrationCode ?? '', CLOCK_START - DAY, CLOCK_START + DAY);
    const wrongProof = await signByCa(ca, 'not-the-code', CLOCK_START - DAY, CLOCK_START + DAY);
    const device = await signByCa(ca, 'dev-9', CLOCK_START - DAY, CLOCK_START + 30 * DAY);
    const stranger = await selfSigned('stranger', CLOCK_START - DAY, CLOCK_START + 30 * DAY);
    const registerCa = (verificationCertificate: string, setAsActive?: boolean) =>
      t.iot.send(
        new RegisterCACertificateCommand({ caCertificate: ca.pem, verificationCertificate, setAsActive }),
      );

    // Act
    await expect(registerCa(wrongProof.certificatePem)).rejects.toBeInstanceOf(
      CertificateValidationException,
    );
    const registeredCa = await registerCa(proof.certificatePem, true);
    const registered = await t.iot.send(
      new RegisterCertificateCommand({ certificatePem: device.certificatePem, setAsActive: true }),
    );

    // Assess
    const d = await t.iot.send(new DescribeCertificateCommand({ certificateId: registered.certificateId }));
    expect(d.certificateDescription).toMatchObject({
      status: 'ACTIVE',
      caCertificateId: registeredCa.certificateId,
    });
    expect(d.certificateDescription?.validity?.notAfter?.getTime()).toBe(CLOCK_START + 30 * DAY);
    await expect(
      t.iot.send(new RegisterCertificateCommand({ certificatePem: stranger.certificatePem })),
    ).rejects.toBeInstanceOf(CertificateValidationException);
    await expect(
      t.iot.send(new RegisterCertificateCommand({ certificatePem: device.certificatePem })),
    ).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(registerCa(proof.certificatePem)).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
  });

  it('describes, lists, deactivates and deletes a registered CA with AWS rules', async () => {
    // Prepare
    const ca = await makeCa('Ops CA', CLOCK_START - DAY, CLOCK_START + 3650 * DAY);
    const registered = await t.iot.send(
      new RegisterCACertificateCommand({
        caCertificate: ca.pem,
        certificateMode: 'SNI_ONLY',
        setAsActive: true,
      }),
    );
    const caId = registered.certificateId ?? '';
    const device = await signByCa(ca, 'ops-1', CLOCK_START - DAY, CLOCK_START + 30 * DAY);
    const cert = await t.iot.send(new RegisterCertificateCommand({ certificatePem: device.certificatePem }));

    // Act
    const described = await t.iot.send(new DescribeCACertificateCommand({ certificateId: caId }));
    const listed = await t.iot.send(new ListCACertificatesCommand({}));
    const activeDelete = t.iot.send(new DeleteCACertificateCommand({ certificateId: caId }));
    await expect(activeDelete).rejects.toBeInstanceOf(CertificateStateException);
    await t.iot.send(new UpdateCACertificateCommand({ certificateId: caId, newStatus: 'INACTIVE' }));
    const activateUnderInactiveCa = t.iot.send(
      new UpdateCertificateCommand({ certificateId: cert.certificateId, newStatus: 'ACTIVE' }),
    );
    await expect(activateUnderInactiveCa).rejects.toBeInstanceOf(CertificateStateException);
    await t.iot.send(new DeleteCACertificateCommand({ certificateId: caId }));

    // Assess
    expect(described.certificateDescription).toMatchObject({ status: 'ACTIVE', certificateMode: 'SNI_ONLY' });
    expect(listed.certificates?.map((c) => c.certificateId)).toEqual([caId]);
    await expect(
      t.iot.send(new DescribeCACertificateCommand({ certificateId: caId })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('registers a certificate without a CA, INACTIVE unless told, and refuses an expired one', async () => {
    // Prepare
    const own = await selfSigned('own-ca-device', CLOCK_START - DAY, CLOCK_START + 10 * DAY);
    const expired = await selfSigned('old-device', CLOCK_START - 20 * DAY, CLOCK_START - DAY);

    // Act
    const registered = await t.iot.send(
      new RegisterCertificateWithoutCACommand({ certificatePem: own.certificatePem }),
    );

    // Assess
    const d = await t.iot.send(new DescribeCertificateCommand({ certificateId: registered.certificateId }));
    expect(d.certificateDescription).toMatchObject({ status: 'INACTIVE', certificateMode: 'SNI_ONLY' });
    await expect(
      t.iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: expired.certificatePem })),
    ).rejects.toBeInstanceOf(CertificateValidationException);
    await expect(
      t.iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: 'garbage' })),
    ).rejects.toBeInstanceOf(CertificateValidationException);
  });

  it('lists every certificate once across pages, newest first by default', async () => {
    // Prepare
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const c = await t.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: false }));
      ids.push(c.certificateId ?? '');
      await t.clock.advance(1000);
    }

    // Act
    const listed: string[] = [];
    for await (const page of paginateListCertificates({ client: t.iot, pageSize: 3 }, {})) {
      listed.push(...(page.certificates ?? []).map((c) => c.certificateId ?? ''));
    }

    // Assess
    expect(listed).toEqual([...ids].reverse());
  });
});

async function readFile(path: string): Promise<string> {
  const { readFile: read } = await import('node:fs/promises');
  return read(path, 'utf8');
}
