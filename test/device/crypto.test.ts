import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../device/agent/backoff.ts';
import {
  certificateIdOf,
  checkDeliveredCertificate,
  createCsrPem,
  generatePrivateKeyPem,
  KEY_TYPES,
  keyMatchesCertificate,
} from '../../device/agent/crypto.ts';
import { describeCsr, TestPki } from './helpers/test-pki.ts';

// A fixed self-signed certificate (CN=recert-kat-thing, valid 2025-01-01 to 2026-01-01) and its key,
// made for this test only. Its id was computed independently with
// `openssl x509 -outform der | sha256sum`.
const KAT_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIBJTCBzaADAgECAgEBMAoGCCqGSM49BAMCMBsxGTAXBgNVBAMTEHJlY2VydC1r
YXQtdGhpbmcwHhcNMjUwMTAxMDAwMDAwWhcNMjYwMTAxMDAwMDAwWjAbMRkwFwYD
VQQDExByZWNlcnQta2F0LXRoaW5nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
TetKqyQondaML02L8/rmks52ypBDhR9lfFpST32MvSzH2t+U98cvcYkcizkrZ+Tk
WMVSD3HLsz5mB/WRQ2V4z6MCMAAwCgYIKoZIzj0EAwIDRwAwRAIgJeI5M0zhlR/D
Pq0R+VB/pUrBTFI50qacRaiIh68EmSMCIBGvyXJ4Faqjpn7hY81f6pKhIctiQc70
4r3KXSLhLusb
-----END CERTIFICATE-----
`;
const KAT_TEST_ONLY_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglmRZ+vm3H9U77Ii2
bpmOg3BNjVlFvEcdsyc8dj0LrIyhRANCAARN60qrJCid1owvTYvz+uaSznbKkEOF
H2V8WlJPfYy9LMfa35T3xy9xiRyLOStn5ORYxVIPccuzPmYH9ZFDZXjP
-----END PRIVATE KEY-----
`;
const KAT_CERTIFICATE_ID = 'ae627e2066d71e4854e38ceadd21af8f7fdf72de5c2c97b5719b3b90173937f8';

describe('device key material', () => {
  it('computes the IoT certificate id of a known certificate', () => {
    expect(certificateIdOf(KAT_CERTIFICATE)).toBe(KAT_CERTIFICATE_ID);
  });

  it('matches a known key to its certificate and refuses another key', async () => {
    expect(keyMatchesCertificate(KAT_TEST_ONLY_KEY, KAT_CERTIFICATE)).toBe(true);
    expect(keyMatchesCertificate(await generatePrivateKeyPem('ec-p256'), KAT_CERTIFICATE)).toBe(false);
    expect(keyMatchesCertificate('not a key', KAT_CERTIFICATE)).toBe(false);
  });

  const expected: Record<
    (typeof KEY_TYPES)[number],
    { algorithm: string; namedCurve?: string; modulusBits?: number }
  > = {
    'ec-p256': { algorithm: 'ec', namedCurve: 'prime256v1' },
    'ec-p384': { algorithm: 'ec', namedCurve: 'secp384r1' },
    'rsa-2048': { algorithm: 'rsa', modulusBits: 2048 },
    'rsa-3072': { algorithm: 'rsa', modulusBits: 3072 },
  };
  for (const type of KEY_TYPES) {
    it(`makes a ${type} key and a signed CSR with CN = thing name`, async () => {
      // Act
      const key = await generatePrivateKeyPem(type);
      const csr = await describeCsr(await createCsrPem(key, 'thing-42'));

      // Assess
      expect(csr).toMatchObject({ subject: 'CN=thing-42', verifies: true, ...expected[type] });
    });
  }

  it('accepts a delivered certificate for the pending key from the configured CA, and refuses others', async () => {
    // Prepare
    const ca = await TestPki.create();
    const stranger = await TestPki.create('stranger');
    const key = await generatePrivateKeyPem('ec-p256');
    const csr = await createCsrPem(key, 'thing-1');
    const good = (await ca.signCsr(csr)).certificatePem;
    const foreign = (await stranger.signCsr(csr)).certificatePem;

    // Act / Assess
    expect(() => checkDeliveredCertificate(good, key, ca.caCertificatePem)).not.toThrow();
    expect(() => checkDeliveredCertificate(good, key)).not.toThrow();
    expect(() => checkDeliveredCertificate(foreign, key, ca.caCertificatePem)).toThrow(/does not chain/);
    expect(() => checkDeliveredCertificate(KAT_CERTIFICATE, key)).toThrow(/not the pending key/);
    expect(() => checkDeliveredCertificate('garbage', key)).toThrow(/does not parse/);
  });

  it('backs off exponentially within [ceiling/2, ceiling], capped at the maximum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (initialMs, extra, attempt, r) => {
          const policy = { initialMs, maxMs: initialMs + extra };
          const ceiling = Math.min(policy.maxMs, initialMs * 2 ** Math.min(attempt, 30));
          const delay = backoffDelay(policy, attempt, () => r);
          expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(delay).toBeLessThanOrEqual(policy.maxMs);
        },
      ),
    );
  });
});
