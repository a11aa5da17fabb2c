import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateCsr } from '../../functions/rotation-steps/issue-certificate/csr-validation.ts';
import { sequence } from '../../lib/der/write.ts';
import { CSR_REJECTION_NAMES } from '../../workflows/rotate-device/errors.ts';
import { commonNameRdn as cnRdn, requestInfo, requestPem } from '../lib/hand-built-csr.ts';
import { csrFixture } from './csr-fixtures.ts';

const options = { thingName: 'sensor-0001', oldCertificatePem: csrFixture('old-certificate.pem') };

describe('CSR validation (invariant 4), known answers', () => {
  it.each([
    ['ok-ec-p256.csr.pem', 'EC P-256'],
    ['ok-ec-p384.csr.pem', 'EC P-384'],
    ['ok-rsa-2048.csr.pem', 'RSA 2048'],
  ])('accepts %s', async (file, description) => {
    // Act
    const accepted = await validateCsr(csrFixture(file), options);
    // Assess
    expect(accepted.keyDescription).toBe(description);
    expect(accepted.keyFingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same key fingerprint for the same CSR key', async () => {
    const a = await validateCsr(csrFixture('ok-ec-p256.csr.pem'), options);
    const b = await validateCsr(csrFixture('bad-wrong-cn.csr.pem'), { ...options, requireCnMatch: false });
    expect(a.keyFingerprint).toBe(b.keyFingerprint);
  });

  it.each([
    ['bad-rsa-1024.csr.pem', CSR_REJECTION_NAMES.keyTooSmall, /1024/],
    ['bad-ec-p521.csr.pem', CSR_REJECTION_NAMES.keyTypeUnsupported, /secp521r1/],
    ['bad-tampered.csr.pem', CSR_REJECTION_NAMES.signatureInvalid, /signature/],
    ['bad-wrong-cn.csr.pem', CSR_REJECTION_NAMES.subjectMismatch, /another-thing/],
    ['bad-old-key.csr.pem', CSR_REJECTION_NAMES.keyReused, /reuses the key/],
    ['bad-not-a-csr.pem', CSR_REJECTION_NAMES.notParsable, /PKCS#10/],
  ])('rejects %s as %s', async (file, name, message) => {
    await expect(validateCsr(csrFixture(file), options)).rejects.toMatchObject({
      name,
      message: expect.stringMatching(message),
    });
  });

  it('rejects garbage that is not PEM at all', async () => {
    await expect(validateCsr('hello', options)).rejects.toMatchObject({
      name: CSR_REJECTION_NAMES.notParsable,
    });
  });

  it('accepts another CN when the CN check is switched off', async () => {
    await expect(
      validateCsr(csrFixture('bad-wrong-cn.csr.pem'), { ...options, requireCnMatch: false }),
    ).resolves.toMatchObject({ keyDescription: 'EC P-256' });
  });
});

describe('CSR validation (invariant 4), tampering', () => {
  const toDer = (pem: string): Buffer =>
    Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE REQUEST-----/g, '').replace(/\s+/g, ''), 'base64');
  const toPem = (der: Buffer): string =>
    `-----BEGIN CERTIFICATE REQUEST-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
  const rejections = new Set<string>(Object.values(CSR_REJECTION_NAMES));

  /** Where the signature algorithm's identifier lies: outside the signed part, and outside the signature. */
  const algorithmIdentifierOf = (der: Buffer): { start: number; end: number } => {
    const lengthAt = (at: number): { header: number; length: number } => {
      const first = der[at + 1] ?? 0;
      if (first < 0x80) return { header: 2, length: first };
      const octets = first & 0x7f;
      return { header: 2 + octets, length: der.subarray(at + 2, at + 2 + octets).readUIntBE(0, octets) };
    };
    const outer = lengthAt(0);
    const info = lengthAt(outer.header);
    const start = outer.header + info.header + info.length;
    const algorithm = lengthAt(start);
    return { start, end: start + algorithm.header + algorithm.length };
  };

  it.each([
    'ok-ec-p256.csr.pem',
    'ok-rsa-2048.csr.pem',
  ])('rejects %s with any byte of its framing, its signed part or its signature changed', async (file) => {
    const der = toDer(csrFixture(file));
    const algorithm = algorithmIdentifierOf(der);
    const skipped = algorithm.end - algorithm.start;
    // Every index but the algorithm identifier's: its NULL parameters are not signed, so a changed one
    // leaves the same request (and another algorithm is one the reader refuses as unsupported).
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: der.length - skipped - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (position, mask) => {
          // Prepare
          const index = position < algorithm.start ? position : position + skipped;
          const changed = Buffer.from(der);
          changed[index] = (changed[index] ?? 0) ^ mask;
          // Act
          const outcome = await validateCsr(toPem(changed), { ...options, requireCnMatch: false }).then(
            () => 'accepted',
            (error: unknown) => (error instanceof Error ? error.name : 'not an error'),
          );
          // Assess
          expect(rejections.has(outcome)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('CSR validation (invariant 4), what the strict reader adds', () => {
  const keyPem = (name: string): string => csrFixture(`keys/${name}.key.pem`);

  /**
   * A request signed with a fixture key over exactly the request info given: the signature is good,
   * so whatever is rejected is rejected for its encoding or its algorithm.
   */
  const signedCsr = (input: {
    key?: string;
    subject?: Buffer;
    /** Elements after the attributes, inside the request info (not DER-valid PKCS#10). */
    trailing?: Buffer;
    algorithm?: string;
    hash?: string;
  }): string => {
    const privateKey = createPrivateKey(keyPem(input.key ?? 'ec-p256'));
    const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    const info = requestInfo(input.subject ?? sequence(cnRdn('sensor-0001')), spki, input.trailing);
    return requestPem(info, sign(input.hash ?? 'sha256', info, privateKey), input.algorithm);
  };

  it('builds requests the checks accept (the helper below is sound)', async () => {
    await expect(validateCsr(signedCsr({}), options)).resolves.toMatchObject({ keyDescription: 'EC P-256' });
  });

  it('accepts an RSASSA-PSS request OpenSSL signs (SHA-256, 32-octet salt)', async () => {
    // Prepare
    const keyFile = new URL('../fixtures/csr/keys/rsa-2048.key.pem', import.meta.url).pathname;
    const pem = execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-key',
        keyFile,
        '-subj',
        '/CN=sensor-0001',
        '-sha256',
        '-sigopt',
        'rsa_padding_mode:pss',
        '-sigopt',
        'rsa_pss_saltlen:32',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );

    // Act
    const accepted = await validateCsr(pem, options);

    // Assess
    expect(accepted.keyDescription).toBe('RSA 2048');
  });

  it('accepts the NEW CERTIFICATE REQUEST label OpenSSL writes with -newhdr', async () => {
    // Prepare
    const pem = csrFixture('ok-ec-p256.csr.pem').replace(/CERTIFICATE REQUEST/g, 'NEW CERTIFICATE REQUEST');

    // Act / Assess
    await expect(validateCsr(pem, options)).resolves.toMatchObject({ keyDescription: 'EC P-256' });
  });

  it('rejects a subject with two CNs, one of them the thing name, as a subject mismatch', async () => {
    // Prepare
    const pem = signedCsr({ subject: sequence(cnRdn('sensor-0001'), cnRdn('other-thing')) });

    // Act / Assess
    await expect(validateCsr(pem, options)).rejects.toMatchObject({
      name: CSR_REJECTION_NAMES.subjectMismatch,
      message: expect.stringContaining('["sensor-0001","other-thing"]'),
    });
    await expect(validateCsr(pem, { ...options, requireCnMatch: false })).resolves.toBeDefined();
  });

  it('rejects a well-signed request with an element after the attributes in its request info', async () => {
    // Prepare
    const pem = signedCsr({ trailing: Buffer.from([0x05, 0x00]) });

    // Act / Assess
    await expect(validateCsr(pem, options)).rejects.toMatchObject({
      name: CSR_REJECTION_NAMES.notParsable,
      message: expect.stringMatching(/trailing element in certificationRequestInfo/),
    });
  });

  it('rejects a well-signed request whose subject length is long-form where short-form fits', async () => {
    // Prepare: the subject SEQUENCE written 30 81 nn instead of 30 nn.
    const rdn = cnRdn('sensor-0001');
    const subject = Buffer.concat([Buffer.from([0x30, 0x81, rdn.length]), rdn]);
    const pem = signedCsr({ subject });

    // Act / Assess
    await expect(validateCsr(pem, options)).rejects.toMatchObject({
      name: CSR_REJECTION_NAMES.notParsable,
      message: expect.stringMatching(/fits the short form/),
    });
  });

  it.each([
    ['an unknown OID', '1.2.3.4', 'sha256'],
    ['ecdsa-with-SHA1', '1.2.840.10045.4.1', 'sha1'],
  ])('rejects a signature algorithm it does not verify (%s) as an invalid signature', async (_name, oid, hash) => {
    // Act / Assess
    await expect(validateCsr(signedCsr({ algorithm: oid, hash }), options)).rejects.toMatchObject({
      name: CSR_REJECTION_NAMES.signatureInvalid,
      message: expect.stringMatching(/could not be verified/),
    });
  });

  it('names the key, not the algorithm, when neither is accepted', async () => {
    // Act / Assess
    await expect(
      validateCsr(signedCsr({ key: 'ec-p521', algorithm: '1.2.3.4', hash: 'sha512' }), options),
    ).rejects.toMatchObject({ name: CSR_REJECTION_NAMES.keyTypeUnsupported });
  });

  it('finds the old key in an RSA certificate OpenSSL writes, and names an old certificate that does not parse', async () => {
    // Prepare: a self-signed certificate for the key the RSA fixture CSR carries.
    const keyFile = new URL('../fixtures/csr/keys/rsa-2048.key.pem', import.meta.url).pathname;
    const oldCertificatePem = execFileSync(
      'openssl',
      ['req', '-new', '-x509', '-key', keyFile, '-subj', '/O=Acme/OU=Fleet/CN=sensor-0001', '-days', '30'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );

    // Act / Assess
    await expect(
      validateCsr(csrFixture('ok-rsa-2048.csr.pem'), { ...options, oldCertificatePem }),
    ).rejects.toMatchObject({
      name: CSR_REJECTION_NAMES.keyReused,
    });
    await expect(
      validateCsr(csrFixture('ok-rsa-2048.csr.pem'), { ...options, oldCertificatePem: 'not a certificate' }),
    ).rejects.toThrow('the old certificate PEM does not parse');
  });
});
