import type { CertificateView } from '../interfaces.ts';
import { AGE_CHECK, type CheckName, EXPIRING_CHECK } from './audit-model.ts';

const DAY_MS = 86_400_000;

/** A certificate a check found non-compliant, with AWS's reason code and severity. */
export interface NonCompliance {
  readonly certificate: CertificateView;
  readonly reasonForNonComplianceCode: string;
  readonly reasonForNonCompliance: string;
  readonly severity: 'MEDIUM' | 'LOW';
}

export interface CheckOutcome {
  /** The certificates the check applies to (ACTIVE or PENDING_TRANSFER). */
  readonly totalResourcesCount: number;
  readonly nonCompliant: readonly NonCompliance[];
}

/** Both device certificate checks apply to ACTIVE and PENDING_TRANSFER certificates only. */
function inScope(certificate: CertificateView): boolean {
  return certificate.status === 'ACTIVE' || certificate.status === 'PENDING_TRANSFER';
}

/** Runs `finding` over every certificate in the check's scope; each finding it returns is non-compliant. */
function checkEach(
  certificates: Iterable<CertificateView>,
  finding: (certificate: CertificateView) => Omit<NonCompliance, 'certificate'> | undefined,
): CheckOutcome {
  let total = 0;
  const nonCompliant: NonCompliance[] = [];
  for (const certificate of certificates) {
    if (!inScope(certificate)) continue;
    total++;
    const found = finding(certificate);
    if (found) nonCompliant.push({ certificate, ...found });
  }
  return { totalResourcesCount: total, nonCompliant };
}

/**
 * `DEVICE_CERTIFICATE_EXPIRING_CHECK`: a certificate is non-compliant when it expires within
 * `thresholdDays` of `now` (CERTIFICATE_EXPIRING) or has already expired (CERTIFICATE_EXPIRED).
 */
export function expiringCheck(
  certificates: Iterable<CertificateView>,
  now: number,
  thresholdDays: number,
): CheckOutcome {
  return checkEach(certificates, ({ notAfter }) => {
    const on = new Date(notAfter).toISOString();
    if (notAfter <= now) {
      return {
        reasonForNonComplianceCode: 'CERTIFICATE_EXPIRED',
        reasonForNonCompliance: `Certificate expired on ${on}`,
        severity: 'MEDIUM',
      };
    }
    if (notAfter - now > thresholdDays * DAY_MS) return undefined;
    return {
      reasonForNonComplianceCode: 'CERTIFICATE_EXPIRING',
      reasonForNonCompliance: `Certificate expires within ${thresholdDays} days, on ${on}`,
      severity: 'MEDIUM',
    };
  });
}

/** `DEVICE_CERTIFICATE_AGE_CHECK`: non-compliant once a certificate is `thresholdDays` old or older. */
export function ageCheck(
  certificates: Iterable<CertificateView>,
  now: number,
  thresholdDays: number,
): CheckOutcome {
  return checkEach(certificates, ({ creationDate }) =>
    now - creationDate < thresholdDays * DAY_MS
      ? undefined
      : {
          reasonForNonComplianceCode: 'CERTIFICATE_PAST_AGE_THRESHOLD',
          reasonForNonCompliance: `Certificate has been active for ${thresholdDays} days or more`,
          severity: 'LOW',
        },
  );
}

export function runCheck(
  name: CheckName,
  certificates: Iterable<CertificateView>,
  now: number,
  thresholdDays: number,
): CheckOutcome {
  return name === EXPIRING_CHECK
    ? expiringCheck(certificates, now, thresholdDays)
    : name === AGE_CHECK
      ? ageCheck(certificates, now, thresholdDays)
      : { totalResourcesCount: 0, nonCompliant: [] };
}
