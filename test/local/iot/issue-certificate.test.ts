import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { bitString, objectIdentifier, sequence, unsignedInteger } from '../../../lib/der/write.ts';
import { EC_P256, parseCsr, subtle, x509 } from '../../../local/iot/ca/certificates.ts';
import { LocalCertificateAuthority } from '../../../local/iot/ca/local-ca.ts';
import { InvalidRequestException } from '../../../local/iot/errors.ts';
import { commonNameRdn, pemOf, requestInfo, requestPem } from '../../lib/hand-built-csr.ts';

describe('certificates issued by the device CA', () => {
  let dir: string;
  let ca: LocalCertificateAuthority;
  let deviceCa: X509Certificate;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-ca-'));
    ca = await LocalCertificateAuthority.openOrCreate(dir, new ManualClock());
    deviceCa = new X509Certificate(ca.deviceCaPem());
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries the fixed validity asked for, to the second, on both sides of 2050', async () => {
    // Prepare
    const { publicKey } = await subtle.generateKey(EC_P256, true, ['sign', 'verify']);
    const spki = new Uint8Array(await subtle.exportKey('spki', publicKey));

    // Act
    const aws = await ca.issue({
      spki,
      subject: { commonName: 'AWS IoT Certificate' },
      notBefore: Date.UTC(2026, 0, 1),
      notAfter: Date.UTC(2049, 11, 31, 23, 59, 59),
    });
    const late = await ca.issue({
      spki,
      subject: { commonName: 'late' },
      notBefore: Date.UTC(2026, 0, 1),
      notAfter: Date.UTC(2061, 5, 15, 12, 0, 0),
    });

    // Assess
    expect(aws.node.validFrom).toBe('Jan  1 00:00:00 2026 GMT');
    expect(aws.node.validTo).toBe('Dec 31 23:59:59 2049 GMT');
    expect(late.notAfter).toBe(Date.UTC(2061, 5, 15, 12, 0, 0));
  });

  it('always yields a certificate that parses, chains to the device CA and keeps subject and dates', async () => {
    const keys = await subtle.generateKey(EC_P256, true, ['sign', 'verify']);
    const spki = new Uint8Array(await subtle.exportKey('spki', keys.publicKey));
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme' }),
        fc.integer({ min: Date.UTC(1990, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 }),
        fc.integer({ min: 1, max: 100 * 365 * 24 * 3600 }),
        async (commonName, startSeconds, lengthSeconds) => {
          const notBefore = startSeconds * 1000;
          const notAfter = (startSeconds + lengthSeconds) * 1000;
          const issued = await ca.issue({
            spki,
            subject: { commonName },
            notBefore,
            notAfter,
          });
          expect(issued.notBefore).toBe(notBefore);
          expect(issued.notAfter).toBe(notAfter);
          expect(issued.node.checkIssued(deviceCa)).toBe(true);
          expect(issued.node.verify(deviceCa.publicKey)).toBe(true);
          expect(issued.node.ca).toBe(false);
          expect(new x509.X509Certificate(issued.der).subjectName.getField('CN')).toEqual([commonName]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('CreateCertificateFromCsr: the request read natively, the certificate signed natively', () => {
  let dir: string;
  let ca: LocalCertificateAuthority;
  const openssl = (args: readonly string[]): string =>
    execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-ca-csr-'));
    ca = await LocalCertificateAuthority.openOrCreate(join(dir, 'ca'), new ManualClock());
    writeFileSync(join(dir, 'root.pem'), ca.rootCaPem());
    writeFileSync(join(dir, 'device-ca.pem'), ca.deviceCaPem());
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** A request OpenSSL writes for a new key of the given `genpkey` algorithm options. */
  const opensslCsr = (name: string, keyOptions: readonly string[], reqOptions: readonly string[]): string => {
    const key = join(dir, `${name}.key`);
    openssl(['genpkey', ...keyOptions, '-out', key]);
    return openssl(['req', '-new', '-key', key, '-subj', `/O=Acme/CN=${name}`, ...reqOptions]);
  };

  it.each([
    ['ec-thing', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], ['-sha256']],
    [
      'pss-thing',
      ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
      ['-sigopt', 'rsa_padding_mode:pss'],
    ],
    ['newhdr-thing', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], ['-sha384', '-newhdr']],
  ])('issues for %s a certificate OpenSSL verifies up to the root, with its subject and key', async (name, keyOptions, reqOptions) => {
    // Prepare
    const csr = parseCsr(opensslCsr(name, keyOptions, reqOptions));

    // Act
    const issued = await ca.issue({
      spki: csr.spki,
      subject: { der: csr.subjectDer },
      notBefore: Date.now() - 60_000,
      notAfter: Date.UTC(2049, 11, 31, 23, 59, 59),
    });

    // Assess
    const file = join(dir, `${name}.pem`);
    writeFileSync(file, issued.pem);
    const verified = openssl([
      'verify',
      '-CAfile',
      join(dir, 'root.pem'),
      '-untrusted',
      join(dir, 'device-ca.pem'),
      file,
    ]);
    expect(verified.trim()).toBe(`${file}: OK`);
    expect(issued.node.subject.split('\n').sort()).toEqual([`CN=${name}`, 'O=Acme']);
    expect(issued.node.publicKey.export({ type: 'spki', format: 'der' }).equals(csr.spki)).toBe(true);
    expect(csr.commonNames).toEqual([name]);
  });

  it.each([
    ['text that is no CSR', () => 'not a csr', /not a valid PEM-encoded CSR/],
    [
      'an Ed25519 key',
      () => opensslCsr('ed-thing', ['-algorithm', 'ED25519'], []),
      /unsupported key or signature algorithm/,
    ],
    [
      'an ECDSA signature over SHA-1',
      () => opensslCsr('sha1-thing', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], ['-sha1']),
      /unsupported key or signature algorithm/,
    ],
    ['a signature over other bytes', () => otherSignature(), /signature does not verify/],
    ['a public key that is no point of its curve', () => offCurveKey(), /unsupported public key/],
  ])('refuses %s with an InvalidRequestException naming why', (_name, make, message) => {
    // Act / Assess
    const pem = make();
    expect(() => parseCsr(pem)).toThrow(InvalidRequestException);
    expect(() => parseCsr(pem)).toThrow(message);
  });

  /** A request whose signature is a good one, but over the request info of another subject. */
  function otherSignature(): string {
    const key = join(dir, 'other.key');
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    const der = Buffer.from(
      openssl(['req', '-new', '-key', key, '-subj', '/CN=a']).replace(/-----[^-]+-----|\s+/g, ''),
      'base64',
    );
    // CN=a becomes CN=b: the same length, another request info, the same signature.
    const at = der.indexOf(Buffer.from([0x0c, 0x01, 0x61]));
    der[at + 2] = 0x62;
    return pemOf(der);
  }

  function offCurveKey(): string {
    const algorithm = sequence(
      objectIdentifier('1.2.840.10045.2.1'),
      objectIdentifier('1.2.840.10045.3.1.7'),
    );
    const spki = sequence(algorithm, bitString(Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)])));
    const info = requestInfo(sequence(commonNameRdn('thing')), spki);
    const signature = sequence(unsignedInteger(Buffer.from([1])), unsignedInteger(Buffer.from([1])));
    return requestPem(info, signature);
  }
});
