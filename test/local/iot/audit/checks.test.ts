import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ageCheck, expiringCheck } from '../../../../local/iot/audit/checks.ts';
import type { CertificateStatus, CertificateView } from '../../../../local/iot/interfaces.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 1);

function cert(
  id: string,
  notAfter: number,
  creationDate = NOW - 10 * DAY,
  status: CertificateStatus = 'ACTIVE',
): CertificateView {
  return {
    certificateId: id,
    certificateArn: `arn:aws:iot:us-east-1:000000000000:cert/${id}`,
    status,
    creationDate,
    notBefore: creationDate,
    notAfter,
  };
}

/** Each non-compliant certificate of a check's outcome as [id, reason code, severity]. */
const findingsOf = (outcome: ReturnType<typeof ageCheck>) =>
  outcome.nonCompliant.map((n) => [n.certificate.certificateId, n.reasonForNonComplianceCode, n.severity]);

describe('DEVICE_CERTIFICATE_EXPIRING_CHECK', () => {
  it('finds exactly the in-scope certificates expiring within the threshold, with AWS reason codes', () => {
    // Prepare
    const certificates = [
      cert('in-10-days', NOW + 10 * DAY),
      cert('at-threshold', NOW + 30 * DAY),
      cert('just-after', NOW + 30 * DAY + 1),
      cert('expired', NOW - DAY),
      cert('inactive-expiring', NOW + DAY, NOW - DAY, 'INACTIVE'),
      cert('pending-transfer', NOW + 5 * DAY, NOW - DAY, 'PENDING_TRANSFER'),
      cert('amazon-ca-2049', Date.UTC(2049, 11, 31)),
    ];
    // Act
    const outcome = expiringCheck(certificates, NOW, 30);
    // Assess
    expect(outcome.totalResourcesCount).toBe(6);
    expect(findingsOf(outcome)).toEqual([
      ['in-10-days', 'CERTIFICATE_EXPIRING', 'MEDIUM'],
      ['at-threshold', 'CERTIFICATE_EXPIRING', 'MEDIUM'],
      ['expired', 'CERTIFICATE_EXPIRED', 'MEDIUM'],
      ['pending-transfer', 'CERTIFICATE_EXPIRING', 'MEDIUM'],
    ]);
  });

  it('flags a certificate if and only if it is in scope and notAfter - now <= threshold (property)', () => {
    const certificate = fc.record({
      id: fc.uuid(),
      offsetDays: fc.integer({ min: -400, max: 4000 }),
      status: fc.constantFrom<CertificateStatus>('ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_TRANSFER'),
    });
    fc.assert(
      fc.property(
        fc.array(certificate, { maxLength: 30 }),
        fc.integer({ min: 1, max: 3652 }),
        (specs, threshold) => {
          const certificates = specs.map((s) => cert(s.id, NOW + s.offsetDays * DAY, NOW - DAY, s.status));
          const flagged = new Set(
            expiringCheck(certificates, NOW, threshold).nonCompliant.map((n) => n.certificate),
          );
          for (const c of certificates) {
            const inScope = c.status === 'ACTIVE' || c.status === 'PENDING_TRANSFER';
            expect(flagged.has(c)).toBe(inScope && c.notAfter - NOW <= threshold * DAY);
          }
        },
      ),
    );
  });
});

describe('DEVICE_CERTIFICATE_AGE_CHECK', () => {
  it('finds the certificates at least threshold days old', () => {
    const certificates = [
      cert('exactly-365', NOW + 1000 * DAY, NOW - 365 * DAY),
      cert('364-days', NOW + 1000 * DAY, NOW - 364 * DAY),
      cert('old-but-revoked', NOW + 1000 * DAY, NOW - 900 * DAY, 'REVOKED'),
    ];
    const outcome = ageCheck(certificates, NOW, 365);
    expect(outcome.totalResourcesCount).toBe(2);
    expect(findingsOf(outcome)).toEqual([['exactly-365', 'CERTIFICATE_PAST_AGE_THRESHOLD', 'LOW']]);
  });
});
