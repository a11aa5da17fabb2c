import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateCsr } from '../../functions/issue-certificate/csr-validation.ts';
import { CSR_REJECTION_NAMES } from '../../workflows/rotate-device/errors.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/csr/${name}`, import.meta.url), 'utf8');
const options = { thingName: 'sensor-0001', oldCertificatePem: fixture('old-certificate.pem') };

describe('CSR validation (invariant 4), known answers', () => {
  it.each([
    ['ok-ec-p256.csr.pem', 'EC P-256'],
    ['ok-ec-p384.csr.pem', 'EC P-384'],
    ['ok-rsa-2048.csr.pem', 'RSA 2048'],
  ])('accepts %s', async (file, description) => {
    // Act
    const accepted = await validateCsr(fixture(file), options);
    // Assess
    expect(accepted.keyDescription).toBe(description);
    expect(accepted.keyFingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same key fingerprint for the same CSR key', async () => {
    const a = await validateCsr(fixture('ok-ec-p256.csr.pem'), options);
    const b = await validateCsr(fixture('bad-wrong-cn.csr.pem'), { ...options, requireCnMatch: false });
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
    await expect(validateCsr(fixture(file), options)).rejects.toMatchObject({
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
      validateCsr(fixture('bad-wrong-cn.csr.pem'), { ...options, requireCnMatch: false }),
    ).resolves.toMatchObject({ keyDescription: 'EC P-256' });
  });
});
