import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACMPCAClient,
  DescribeCertificateAuthorityCommand,
  GetCertificateCommand,
  IssueCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LocalAcmPcaServer } from '../../../local/acmpca/acmpca-server.ts';
import { LocalPrivateCa, notAfterOf } from '../../../local/acmpca/private-ca.ts';
import { LOCAL_CREDENTIALS } from '../../../local/config.ts';

/**
 * The local ACM Private CA through the real ACM PCA client: what recert's private-CA issuer sends and
 * reads, and the named errors ACM PCA answers bad requests with.
 */
const CSR = readFileSync(new URL('../../fixtures/csr/ok-ec-p256.csr.pem', import.meta.url), 'utf8');
const TAMPERED = readFileSync(new URL('../../fixtures/csr/bad-tampered.csr.pem', import.meta.url), 'utf8');
const NOW = Date.UTC(2026, 11, 5, 12);
const DAY_MS = 86_400_000;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function running(dir?: string, pollsBeforeReady = 1) {
  const stateDir = dir ?? mkdtempSync(join(tmpdir(), 'recert-pca-'));
  if (!dir) cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
  const ca = await LocalPrivateCa.openOrCreate(join(stateDir, 'acm-pca'), new ManualClock(NOW), {
    region: 'us-east-1',
    accountId: '000000000000',
    pollsBeforeReady,
  });
  const server = new LocalAcmPcaServer(ca);
  const endpoint = await server.start();
  const pca = new ACMPCAClient({
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    endpoint,
    maxAttempts: 1,
  });
  const stop = async () => {
    pca.destroy();
    await server.close();
  };
  cleanups.push(stop);
  return { ca, pca, stateDir, stop };
}

const issue = (
  caArn: string,
  extra: Partial<ConstructorParameters<typeof IssueCertificateCommand>[0]> = {},
) =>
  new IssueCertificateCommand({
    CertificateAuthorityArn: caArn,
    Csr: new TextEncoder().encode(CSR),
    SigningAlgorithm: 'SHA256WITHECDSA',
    Validity: { Type: 'DAYS', Value: 30 },
    ...extra,
  });

describe('the local ACM Private CA', () => {
  it('describes its EC P-256 key, issues for the validity asked, and hands the certificate over once signed', async () => {
    // Prepare
    const { ca, pca } = await running();
    // Act
    const described = await pca.send(
      new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: ca.arn }),
    );
    const { CertificateArn } = await pca.send(issue(ca.arn));
    const first = pca.send(new GetCertificateCommand({ CertificateAuthorityArn: ca.arn, CertificateArn }));
    await expect(first).rejects.toMatchObject({ name: 'RequestInProgressException' });
    const got = await pca.send(
      new GetCertificateCommand({ CertificateAuthorityArn: ca.arn, CertificateArn }),
    );
    // Assess
    expect(described.CertificateAuthority?.CertificateAuthorityConfiguration?.KeyAlgorithm).toBe(
      'EC_prime256v1',
    );
    expect(CertificateArn).toMatch(new RegExp(`^${ca.arn}/certificate/[0-9a-f]+$`));
    const cert = new X509Certificate(got.Certificate ?? '');
    const authority = new X509Certificate(ca.certificatePem());
    expect(cert.verify(authority.publicKey)).toBe(true);
    expect(Date.parse(cert.validTo)).toBe(NOW + 30 * DAY_MS);
    expect(got.CertificateChain).toBe(ca.certificatePem());
  });

  it('gives the same certificate for the same idempotency token, and another without one', async () => {
    const { ca, pca } = await running();
    const a = await pca.send(issue(ca.arn, { IdempotencyToken: 'attempt-1' }));
    const b = await pca.send(issue(ca.arn, { IdempotencyToken: 'attempt-1' }));
    const c = await pca.send(issue(ca.arn));
    expect(b.CertificateArn).toBe(a.CertificateArn);
    expect(c.CertificateArn).not.toBe(a.CertificateArn);
  });

  it('issues anew, without failing, when a token entry on disk is torn', async () => {
    // Prepare: the entry of token attempt-2 cut short, as a crash mid-write would leave it.
    const { ca, pca, stateDir } = await running();
    const first = await pca.send(issue(ca.arn, { IdempotencyToken: 'attempt-2' }));
    const entry = createHash('sha256').update(`${ca.arn}\nattempt-2`).digest('hex');
    writeFileSync(join(stateDir, 'acm-pca', 'tokens', entry), '{"certificateArn":"arn:aws:acm');
    // Act
    const again = await pca.send(issue(ca.arn, { IdempotencyToken: 'attempt-2' }));
    // Assess
    expect(again.CertificateArn).toMatch(/\/certificate\/[0-9a-f]+$/);
    expect(again.CertificateArn).not.toBe(first.CertificateArn);
  });

  it('still answers for what it issued after a restart on the same state directory, under the same ARN', async () => {
    // Prepare
    const first = await running(undefined, 0);
    const { CertificateArn } = await first.pca.send(issue(first.ca.arn));
    await first.stop();
    // Act
    const again = await running(first.stateDir, 0);
    const got = await again.pca.send(
      new GetCertificateCommand({ CertificateAuthorityArn: again.ca.arn, CertificateArn }),
    );
    // Assess
    expect(again.ca.arn).toBe(first.ca.arn);
    expect(
      new X509Certificate(got.Certificate ?? '').verify(
        new X509Certificate(again.ca.certificatePem()).publicKey,
      ),
    ).toBe(true);
  });

  it.each([
    ['a tampered CSR', { Csr: new TextEncoder().encode(TAMPERED) }, 'MalformedCSRException', /CSR/],
    [
      'a signing algorithm the key cannot make',
      { SigningAlgorithm: 'SHA256WITHRSA' as const },
      'InvalidArgsException',
      /SHA256WITHRSA/,
    ],
    [
      'an unknown validity type',
      { Validity: { Type: 'WEEKS' as never, Value: 2 } },
      'InvalidArgsException',
      /WEEKS/,
    ],
    [
      'another CA',
      { CertificateAuthorityArn: 'arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/nope' },
      'ResourceNotFoundException',
      /nope/,
    ],
  ])('refuses %s with a named error and issues nothing', async (_what, extra, name, message) => {
    const { ca, pca, stateDir } = await running();
    await expect(pca.send(issue(ca.arn, extra))).rejects.toMatchObject({
      name,
      message: expect.stringMatching(message),
    });
    expect(ca.callCounts().IssueCertificate).toBe(1);
    expect(readdirSync(join(stateDir, 'acm-pca', 'issued'))).toEqual([]);
  });

  it('answers a body that is not JSON, a missing field and an unknown operation by name', async () => {
    const { ca } = await running();
    const server = new LocalAcmPcaServer(ca);
    const url = await server.start();
    cleanups.push(() => server.close());
    const post = async (target: string, body: string) => {
      const res = await fetch(url, { method: 'POST', headers: { 'x-amz-target': target }, body });
      return { status: res.status, body: (await res.json()) as { __type: string; message: string } };
    };
    expect(await post('ACMPrivateCA.IssueCertificate', '{nope')).toMatchObject({
      status: 400,
      body: { __type: 'SerializationException' },
    });
    expect(await post('ACMPrivateCA.IssueCertificate', '{}')).toMatchObject({
      status: 400,
      body: { __type: 'ValidationException', message: expect.stringMatching(/CertificateAuthorityArn/) },
    });
    expect(await post('ACMPrivateCA.RevokeCertificate', '{}')).toMatchObject({
      status: 400,
      body: { __type: 'UnknownOperationException' },
    });
  });

  it('sets notAfter by days, calendar months and years, a month end staying in its month', () => {
    const start = Date.UTC(2026, 0, 31);
    expect(notAfterOf(start, { Type: 'DAYS', Value: 2 })).toBe(Date.UTC(2026, 1, 2));
    expect(notAfterOf(start, { Type: 'MONTHS', Value: 1 })).toBe(Date.UTC(2026, 1, 28));
    expect(notAfterOf(start, { Type: 'MONTHS', Value: 13 })).toBe(Date.UTC(2027, 1, 28));
    expect(notAfterOf(Date.UTC(2028, 1, 29), { Type: 'YEARS', Value: 1 })).toBe(Date.UTC(2029, 1, 28));
    expect(notAfterOf(start, { Type: 'YEARS', Value: 1 })).toBe(Date.UTC(2027, 0, 31));
    expect(() => notAfterOf(start, { Type: 'DAYS', Value: 0 })).toThrow(/Value must be a whole number/);
  });
});
