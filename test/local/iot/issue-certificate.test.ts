import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../local/clock.ts';
import { EC_P256, subtle, x509 } from '../../../local/iot/ca/certificates.ts';
import { ecdsaSignatureToDer, objectIdentifier, time, unsignedInteger } from '../../../local/iot/ca/der.ts';
import { LocalCertificateAuthority } from '../../../local/iot/ca/local-ca.ts';

describe('DER building blocks (known answers)', () => {
  it('encodes RFC 5280 times: UTCTime through 2049, GeneralizedTime from 2050', () => {
    // Act / Assess
    expect(time(Date.UTC(2049, 11, 31, 23, 59, 59)).toString('hex')).toBe(
      `170d${Buffer.from('491231235959Z').toString('hex')}`,
    );
    expect(time(Date.UTC(2050, 0, 1, 0, 0, 0, 999)).toString('hex')).toBe(
      `180f${Buffer.from('20500101000000Z').toString('hex')}`,
    );
  });

  it('encodes integers and object identifiers as X.509 expects', () => {
    // Act / Assess
    expect(unsignedInteger(Buffer.from([0x00, 0x00, 0x7f])).toString('hex')).toBe('02017f');
    expect(unsignedInteger(Buffer.from([0x80])).toString('hex')).toBe('02020080');
    expect(objectIdentifier('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(ecdsaSignatureToDer(Buffer.from([0x80, 0x01, 0x00, 0x02])).toString('hex')).toBe(
      '30080203008001020102',
    );
  });
});

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

    // Act
    const aws = await ca.issue({
      publicKey,
      subject: { commonName: 'AWS IoT Certificate' },
      notBefore: Date.UTC(2026, 0, 1),
      notAfter: Date.UTC(2049, 11, 31, 23, 59, 59),
    });
    const late = await ca.issue({
      publicKey,
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
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme' }),
        fc.integer({ min: Date.UTC(1990, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 }),
        fc.integer({ min: 1, max: 100 * 365 * 24 * 3600 }),
        async (commonName, startSeconds, lengthSeconds) => {
          const notBefore = startSeconds * 1000;
          const notAfter = (startSeconds + lengthSeconds) * 1000;
          const issued = await ca.issue({
            publicKey: keys.publicKey,
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
