import { X509Certificate } from 'node:crypto';
import {
  ACMPCAClient,
  DescribeCertificateAuthorityCommand,
  GetCertificateCommand,
  IssueCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import {
  CreateCertificateFromCsrCommand,
  DescribeCertificateCommand,
  IoTClient,
  RegisterCertificateWithoutCACommand,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AcmPcaIssuer,
  AwsIotIssuer,
  awsIotCertificateId,
  idempotencyToken,
  UnsupportedCaKeyAlgorithm,
} from '../../functions/rotation-steps/issue-certificate/certificate-issuer.ts';
import { issuerFromEnvironment } from '../../functions/rotation-steps/issue-certificate/handler.ts';
import { rotationApiCalls } from '../../workflows/rotate-device/api-calls.ts';
import { csrFixture } from './csr-fixtures.ts';

/**
 * Who signs a rotation's certificate: AWS IoT's CA, or an ACM Private CA whose certificate is then
 * registered in AWS IoT without its CA. ACM PCA is not part of the local AWS, so its answers are
 * mocked here as its API reference documents them (RequestInProgressException until signed).
 */

const CA_ARN =
  'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555';
const CERT_ARN = `${CA_ARN}/certificate/0123456789abcdef0123456789abcdef`;
const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nCSR\n-----END CERTIFICATE REQUEST-----\n';
const ATTEMPT = 'arn:aws:states:eu-west-1:123456789012:execution:recert-rotate-device:x/rotation-1';

/** A real certificate, so that its AWS IoT id (SHA-256 of the DER) can be computed. */
const PEM = csrFixture('old-certificate.pem');
const certificatePem = (): string => PEM;

const pca = new ACMPCAClient({ region: 'eu-west-1' });
const pcaMock = mockClient(pca);
const iot = new IoTClient({ region: 'eu-west-1' });
const iotMock = mockClient(iot);
const named = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

beforeEach(() => {
  pcaMock.reset();
  iotMock.reset();
  pcaMock.on(DescribeCertificateAuthorityCommand).resolves({
    CertificateAuthority: {
      CertificateAuthorityConfiguration: {
        KeyAlgorithm: 'EC_prime256v1',
        SigningAlgorithm: 'SHA256WITHECDSA',
        Subject: {},
      },
    },
  });
});

/**
 * The CA issues CERT_ARN and answers GetCertificate with `pem` once `pendingPolls` polls of that
 * issuance have found it still being signed.
 */
function caSigns(pem: string, pendingPolls = 0, chain?: string): void {
  let polls = 0;
  pcaMock.on(IssueCertificateCommand).callsFake(() => {
    polls = 0;
    return { CertificateArn: CERT_ARN };
  });
  pcaMock.on(GetCertificateCommand).callsFake(() => {
    if (polls++ < pendingPolls) throw named('RequestInProgressException', 400);
    return { Certificate: pem, ...(chain === undefined ? {} : { CertificateChain: chain }) };
  });
}

function acmIssuer(sleeps: number[] = []) {
  return new AcmPcaIssuer(
    { certificateAuthorityArn: CA_ARN, validityDays: 365 },
    {
      pca,
      iot,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  );
}

describe('ACM Private CA issuer', () => {
  it('issues with the validity and the CA key’s algorithm, waits for the signature, registers it ACTIVE', async () => {
    // Prepare
    const pem = certificatePem();
    caSigns(pem, 2, 'CHAIN');
    iotMock.on(RegisterCertificateWithoutCACommand).resolves({
      certificateId: awsIotCertificateId(pem),
      certificateArn: `arn:aws:iot:eu-west-1:123456789012:cert/${awsIotCertificateId(pem)}`,
    });
    const sleeps: number[] = [];
    let refused = 0;
    // Act
    const issued = await acmIssuer(sleeps).issue({
      csrPem: CSR,
      attemptKey: ATTEMPT,
      onRefused: async () => {
        refused++;
      },
    });
    // Assess
    expect(issued).toEqual({
      certificateId: awsIotCertificateId(pem),
      certificateArn: `arn:aws:iot:eu-west-1:123456789012:cert/${awsIotCertificateId(pem)}`,
      certificatePem: pem,
    });
    const request = pcaMock.commandCalls(IssueCertificateCommand)[0]?.args[0].input;
    expect(request).toMatchObject({
      CertificateAuthorityArn: CA_ARN,
      SigningAlgorithm: 'SHA256WITHECDSA',
      Validity: { Type: 'DAYS', Value: 365 },
      IdempotencyToken: idempotencyToken(ATTEMPT),
    });
    expect(new TextDecoder().decode(request?.Csr)).toBe(CSR);
    expect(request?.IdempotencyToken).toHaveLength(36);
    expect(pcaMock.commandCalls(GetCertificateCommand)).toHaveLength(3);
    expect(sleeps).toEqual([200, 400]);
    expect(iotMock.commandCalls(RegisterCertificateWithoutCACommand)[0]?.args[0].input).toEqual({
      certificatePem: pem,
      status: 'ACTIVE',
    });
    expect(refused).toBe(0);
  });

  it('signs with SHA-384 for a P-384 CA and SHA-256 for RSA, reading the CA once', async () => {
    // Prepare
    pcaMock.on(DescribeCertificateAuthorityCommand).resolves({
      CertificateAuthority: {
        CertificateAuthorityConfiguration: {
          KeyAlgorithm: 'EC_secp384r1',
          SigningAlgorithm: 'SHA384WITHECDSA',
          Subject: {},
        },
      },
    });
    const pem = certificatePem();
    caSigns(pem);
    iotMock.on(RegisterCertificateWithoutCACommand).resolves({ certificateId: 'a', certificateArn: 'arn:a' });
    const issuer = acmIssuer();
    // Act
    await issuer.issue({ csrPem: CSR, attemptKey: 'a', onRefused: async () => undefined });
    await issuer.issue({ csrPem: CSR, attemptKey: 'b', onRefused: async () => undefined });
    // Assess
    expect(pcaMock.commandCalls(DescribeCertificateAuthorityCommand)).toHaveLength(1);
    expect(
      pcaMock.commandCalls(IssueCertificateCommand).map((c) => c.args[0].input.SigningAlgorithm),
    ).toEqual(['SHA384WITHECDSA', 'SHA384WITHECDSA']);
  });

  it("makes the calls the campaign pacing counts for a private CA's rotation", async () => {
    // Prepare: the CA signs by the second GetCertificate, as the pacing table assumes.
    const pem = certificatePem();
    caSigns(pem, 1);
    iotMock.on(RegisterCertificateWithoutCACommand).resolves({ certificateId: 'a', certificateArn: 'arn:a' });
    const issuer = acmIssuer();
    await issuer.issue({ csrPem: CSR, attemptKey: 'warm', onRefused: async () => undefined });
    pcaMock.resetHistory();
    iotMock.resetHistory();
    // Act: a warm instance's rotation
    await issuer.issue({ csrPem: CSR, attemptKey: 'counted', onRefused: async () => undefined });
    // Assess
    const table = rotationApiCalls(1, 'acm-pca');
    expect(pcaMock.commandCalls(IssueCertificateCommand)).toHaveLength(
      table['acm-pca:IssueCertificate'] ?? 0,
    );
    expect(pcaMock.commandCalls(GetCertificateCommand)).toHaveLength(table['acm-pca:GetCertificate'] ?? 0);
    expect(pcaMock.commandCalls(DescribeCertificateAuthorityCommand)).toHaveLength(0);
    expect(iotMock.commandCalls(RegisterCertificateWithoutCACommand)).toHaveLength(
      table['iot:RegisterCertificateWithoutCA'] ?? 0,
    );
    expect(iotMock.commandCalls(CreateCertificateFromCsrCommand)).toHaveLength(0);
    expect(table['iot:CreateCertificateFromCsr']).toBeUndefined();
  });

  it('refuses a CA whose key it cannot sign with, naming it, before issuing anything', async () => {
    // Prepare
    // A key algorithm newer than this client's types know (ACM PCA added SM2 for China regions).
    pcaMock.on(DescribeCertificateAuthorityCommand).callsFake(() => ({
      CertificateAuthority: {
        CertificateAuthorityConfiguration: { KeyAlgorithm: 'SM2', SigningAlgorithm: 'SM3WITHSM2' },
      },
    }));
    // Act
    const issuing = acmIssuer().issue({ csrPem: CSR, attemptKey: 'a', onRefused: async () => undefined });
    // Assess
    await expect(issuing).rejects.toBeInstanceOf(UnsupportedCaKeyAlgorithm);
    await expect(issuing).rejects.toThrow(/SM2/);
    expect(pcaMock.commandCalls(IssueCertificateCommand)).toHaveLength(0);
  });

  it('a CA it could not read runs onRefused (nothing was asked of it) and issues nothing', async () => {
    // Prepare
    pcaMock.on(DescribeCertificateAuthorityCommand).rejects(named('ServiceUnavailableException', 503));
    let refused = 0;
    // Act
    const issuing = acmIssuer().issue({
      csrPem: CSR,
      attemptKey: 'a',
      onRefused: async () => {
        refused++;
      },
    });
    // Assess
    await expect(issuing).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(refused).toBe(1);
    expect(pcaMock.commandCalls(IssueCertificateCommand)).toHaveLength(0);
  });

  it('a refused IssueCertificate runs onRefused (nothing was issued); a refused registration does not', async () => {
    // Prepare
    pcaMock.on(IssueCertificateCommand).rejects(named('MalformedCSRException', 400));
    let refused = 0;
    const onRefused = async () => {
      refused++;
    };
    // Act / Assess
    await expect(acmIssuer().issue({ csrPem: CSR, attemptKey: 'a', onRefused })).rejects.toMatchObject({
      name: 'MalformedCSRException',
    });
    expect(refused).toBe(1);

    // Prepare: issued and signed, then registration refused: the certificate exists, the marker stays.
    caSigns(certificatePem());
    iotMock.on(RegisterCertificateWithoutCACommand).rejects(named('CertificateValidationException', 400));
    // Act / Assess
    await expect(acmIssuer().issue({ csrPem: CSR, attemptKey: 'a', onRefused })).rejects.toMatchObject({
      name: 'CertificateValidationException',
    });
    expect(refused).toBe(1);
  });

  it('a certificate registered already (a retried call) is found by its id, not registered twice', async () => {
    // Prepare
    const pem = certificatePem();
    const id = awsIotCertificateId(pem);
    caSigns(pem);
    iotMock.on(RegisterCertificateWithoutCACommand).rejects(named('ResourceAlreadyExistsException', 409));
    iotMock.on(DescribeCertificateCommand, { certificateId: id }).resolves({
      certificateDescription: {
        certificateId: id,
        certificateArn: `arn:aws:iot:eu-west-1:1:cert/${id}`,
        certificatePem: pem,
        status: 'ACTIVE',
      },
    });
    // Act
    const issued = await acmIssuer().issue({
      csrPem: CSR,
      attemptKey: 'a',
      onRefused: async () => undefined,
    });
    // Assess
    expect(issued).toEqual({
      certificateId: id,
      certificateArn: `arn:aws:iot:eu-west-1:1:cert/${id}`,
      certificatePem: pem,
    });
  });

  it('gives up waiting for the signature after its polls with a transient error (the step retries)', async () => {
    // Prepare
    pcaMock.on(IssueCertificateCommand).resolves({ CertificateArn: CERT_ARN });
    pcaMock.on(GetCertificateCommand).rejects(named('RequestInProgressException', 400));
    const sleeps: number[] = [];
    // Act / Assess
    await expect(
      acmIssuer(sleeps).issue({ csrPem: CSR, attemptKey: 'a', onRefused: async () => undefined }),
    ).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(20_000);
    expect(pcaMock.commandCalls(GetCertificateCommand)).toHaveLength(sleeps.length + 1);
  });
});

describe('AWS IoT issuer', () => {
  it('creates the certificate ACTIVE from the CSR and runs onRefused on a 4xx', async () => {
    // Prepare
    iotMock
      .on(CreateCertificateFromCsrCommand)
      .resolvesOnce({ certificateId: 'id-1', certificateArn: 'arn:cert/id-1', certificatePem: 'PEM' })
      .rejects(named('InvalidRequestException', 400));
    let refused = 0;
    const issuer = new AwsIotIssuer(iot);
    const onRefused = async () => {
      refused++;
    };
    // Act
    const issued = await issuer.issue({ csrPem: CSR, attemptKey: 'a', onRefused });
    const second = issuer.issue({ csrPem: CSR, attemptKey: 'b', onRefused });
    // Assess
    expect(issued).toEqual({ certificateId: 'id-1', certificateArn: 'arn:cert/id-1', certificatePem: 'PEM' });
    expect(iotMock.commandCalls(CreateCertificateFromCsrCommand)[0]?.args[0].input).toEqual({
      certificateSigningRequest: CSR,
      setAsActive: true,
    });
    await expect(second).rejects.toMatchObject({ name: 'InvalidRequestException' });
    expect(refused).toBe(1);
  });
});

describe('the issuer the deployment chose', () => {
  it('is AWS IoT by default and an ACM Private CA when infra/ sets one', () => {
    expect(issuerFromEnvironment(iot, {}).kind).toBe('aws-iot');
    expect(issuerFromEnvironment(iot, { CERTIFICATE_ISSUER: 'aws-iot' }).kind).toBe('aws-iot');
    const chosen = issuerFromEnvironment(
      iot,
      { CERTIFICATE_ISSUER: 'acm-pca', PRIVATE_CA_ARN: CA_ARN, CERTIFICATE_VALIDITY_DAYS: '90' },
      () => pca,
    );
    expect(chosen).toBeInstanceOf(AcmPcaIssuer);
  });

  it('refuses an unknown issuer or a private CA without its ARN or a whole number of days, naming the variable', () => {
    expect(() => issuerFromEnvironment(iot, { CERTIFICATE_ISSUER: 'letsencrypt' })).toThrow(
      /CERTIFICATE_ISSUER/,
    );
    expect(() =>
      issuerFromEnvironment(
        iot,
        { CERTIFICATE_ISSUER: 'acm-pca', CERTIFICATE_VALIDITY_DAYS: '90' },
        () => pca,
      ),
    ).toThrow(/PRIVATE_CA_ARN/);
    expect(() =>
      issuerFromEnvironment(
        iot,
        { CERTIFICATE_ISSUER: 'acm-pca', PRIVATE_CA_ARN: CA_ARN, CERTIFICATE_VALIDITY_DAYS: '1.5' },
        () => pca,
      ),
    ).toThrow(/CERTIFICATE_VALIDITY_DAYS/);
  });
});

describe('AWS IoT certificate id', () => {
  it('is the SHA-256 of the DER, as AWS IoT names certificates', () => {
    const pem = certificatePem();
    const fingerprint = new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase();
    expect(awsIotCertificateId(pem)).toBe(fingerprint);
  });
});
