/**
 * A local stand-in for one ACM Private CA (EC P-256) in `<stateDir>/acm-pca/`; GetCertificate answers
 * RequestInProgressException `pollsBeforeReady` times first, as ACM PCA does while it signs.
 */
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { parseCsr, toPem } from '../iot/ca/certificates.ts';
import { type Issuer, issueCertificate } from '../iot/ca/issue-certificate.ts';
import {
  createSelfSignedAuthority,
  issuerOf,
  type KeyedCertificate,
  loadOrCreate,
} from '../iot/ca/local-ca.ts';
import { writeFileAtomic } from '../iot/store/entity-log.ts';

export const PRIVATE_CA_SUBJECT = 'CN=recert local private CA, O=recert, C=US';
const PRIVATE_CA_COMMON_NAME = 'recert local private CA';
/** ACM PCA keeps an idempotency token for 5 minutes (IssueCertificate's IdempotencyToken). */
const IDEMPOTENCY_WINDOW_MS = 5 * 60 * 1000;

/** A named ACM PCA error, as the service names it in `__type`. */
export class AcmPcaError extends Error {
  constructor(
    readonly type:
      | 'ResourceNotFoundException'
      | 'InvalidArnException'
      | 'InvalidArgsException'
      | 'MalformedCSRException'
      | 'RequestInProgressException',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = type;
  }
}

export interface Validity {
  readonly Type: string;
  readonly Value: number;
}

export interface IssueInput {
  readonly CertificateAuthorityArn: string;
  readonly csrPem: string;
  readonly SigningAlgorithm: string;
  readonly Validity: Validity;
  readonly IdempotencyToken?: string | undefined;
}

export interface PrivateCaOptions {
  readonly region: string;
  readonly accountId: string;
  /** GetCertificate answers RequestInProgressException this many times per certificate (1 by default). */
  readonly pollsBeforeReady?: number;
}

const TokenEntry = z.object({ certificateArn: z.string(), at: z.number() });
type TokenEntry = z.infer<typeof TokenEntry>;

/** The certificate an idempotency token got; a missing or unreadable entry (a torn write) is none. */
function readTokenEntry(path: string): TokenEntry | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const parsed = TokenEntry.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export class LocalPrivateCa {
  private readonly issuer: Issuer;
  /** Polls each certificate has had, in this process. */
  private readonly polls = new Map<string, number>();
  private readonly pollsBeforeReady: number;
  /** Calls by operation, as the local IoT counts its own. */
  private readonly calls: Record<string, number> = {};

  private constructor(
    private readonly dir: string,
    private readonly clock: Clock,
    readonly arn: string,
    private readonly authority: KeyedCertificate,
    options: PrivateCaOptions,
  ) {
    this.issuer = issuerOf(authority, 'the private CA');
    this.pollsBeforeReady = options.pollsBeforeReady ?? 1;
    if (!Number.isInteger(this.pollsBeforeReady) || this.pollsBeforeReady < 0) {
      throw new RangeError(`pollsBeforeReady must be a whole number >= 0, not ${this.pollsBeforeReady}`);
    }
  }

  static async openOrCreate(dir: string, clock: Clock, options: PrivateCaOptions): Promise<LocalPrivateCa> {
    mkdirSync(join(dir, 'issued'), { recursive: true });
    mkdirSync(join(dir, 'tokens'), { recursive: true });
    const idPath = join(dir, 'ca-id');
    if (!existsSync(idPath)) writeFileAtomic(idPath, randomUUID());
    const id = readFileSync(idPath, 'utf8').trim();
    const arn = `arn:aws:acm-pca:${options.region}:${options.accountId}:certificate-authority/${id}`;
    const notBefore = Math.min(Date.now(), clock.now()) - 2 * 24 * 60 * 60 * 1000;
    const authority = await loadOrCreate(dir, 'private-ca', () =>
      createSelfSignedAuthority(PRIVATE_CA_SUBJECT, notBefore),
    );
    return new LocalPrivateCa(dir, clock, arn, authority, options);
  }

  /** The CA's certificate (PEM): what a device or a test trusts it by. */
  certificatePem(): string {
    return this.authority.certificate.pem;
  }

  callCounts(): Record<string, number> {
    return { ...this.calls };
  }

  describe(caArn: string) {
    this.count('DescribeCertificateAuthority');
    this.checkCa(caArn);
    return {
      CertificateAuthority: {
        Arn: this.arn,
        Type: 'ROOT',
        Status: 'ACTIVE',
        UsageMode: 'GENERAL_PURPOSE',
        CertificateAuthorityConfiguration: {
          KeyAlgorithm: 'EC_prime256v1',
          SigningAlgorithm: 'SHA256WITHECDSA',
          Subject: { CommonName: PRIVATE_CA_COMMON_NAME, Organization: 'recert', Country: 'US' },
        },
      },
    };
  }

  issue(input: IssueInput): { CertificateArn: string } {
    this.count('IssueCertificate');
    this.checkCa(input.CertificateAuthorityArn);
    if (input.SigningAlgorithm !== 'SHA256WITHECDSA') {
      throw new AcmPcaError(
        'InvalidArgsException',
        `SigningAlgorithm ${input.SigningAlgorithm} does not match the CA's EC_prime256v1 key (SHA256WITHECDSA)`,
      );
    }
    const now = this.clock.now();
    const tokenPath =
      input.IdempotencyToken === undefined
        ? undefined
        : join(this.dir, 'tokens', sha256Hex(`${input.CertificateAuthorityArn}\n${input.IdempotencyToken}`));
    const earlier = tokenPath ? readTokenEntry(tokenPath) : undefined;
    if (earlier && now - earlier.at <= IDEMPOTENCY_WINDOW_MS)
      return { CertificateArn: earlier.certificateArn };
    let csr: ReturnType<typeof parseCsr>;
    try {
      csr = parseCsr(input.csrPem);
    } catch (error) {
      throw new AcmPcaError(
        'MalformedCSRException',
        'the CSR could not be parsed or its signature is invalid',
        {
          cause: error,
        },
      );
    }
    const notBefore = now - 60_000;
    const der = issueCertificate(this.issuer, {
      spki: csr.spki,
      subject: csr.subjectDer.byteLength > 2 ? { der: csr.subjectDer } : { commonName: 'recert device' },
      notBefore,
      notAfter: notAfterOf(now, input.Validity),
    });
    const serial = new X509Certificate(der).serialNumber.toLowerCase();
    const certificateArn = `${this.arn}/certificate/${serial}`;
    writeFileAtomic(this.issuedPath(certificateArn), toPem(der, 'CERTIFICATE'));
    if (tokenPath)
      writeFileAtomic(tokenPath, JSON.stringify({ certificateArn, at: now } satisfies TokenEntry));
    return { CertificateArn: certificateArn };
  }

  get(caArn: string, certificateArn: string): { Certificate: string; CertificateChain: string } {
    this.count('GetCertificate');
    this.checkCa(caArn);
    if (typeof certificateArn !== 'string' || !certificateArn.startsWith(`${this.arn}/certificate/`)) {
      throw new AcmPcaError(
        'InvalidArnException',
        `${String(certificateArn)} is not a certificate of this CA`,
      );
    }
    const path = this.issuedPath(certificateArn);
    if (!existsSync(path)) {
      throw new AcmPcaError('ResourceNotFoundException', `certificate ${certificateArn} was not issued`);
    }
    const polled = this.polls.get(certificateArn) ?? 0;
    if (polled < this.pollsBeforeReady) {
      this.polls.set(certificateArn, polled + 1);
      throw new AcmPcaError('RequestInProgressException', `certificate ${certificateArn} is being signed`);
    }
    return { Certificate: readFileSync(path, 'utf8'), CertificateChain: this.certificatePem() };
  }

  private checkCa(caArn: string): void {
    if (typeof caArn !== 'string' || !caArn.startsWith('arn:aws:acm-pca:')) {
      throw new AcmPcaError('InvalidArnException', `${String(caArn)} is not an ACM PCA ARN`);
    }
    if (caArn !== this.arn) {
      throw new AcmPcaError('ResourceNotFoundException', `certificate authority ${caArn} does not exist`);
    }
  }

  private issuedPath(certificateArn: string): string {
    return join(this.dir, 'issued', `${sha256Hex(certificateArn)}.pem`);
  }

  private count(operation: string): void {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
  }
}

/** notAfter for a validity as IssueCertificate takes it: DAYS, MONTHS or YEARS from now. */
export function notAfterOf(now: number, validity: Validity): number {
  const value = validity?.Value;
  if (!Number.isInteger(value) || value < 1) {
    throw new AcmPcaError('InvalidArgsException', `Validity.Value must be a whole number >= 1, not ${value}`);
  }
  switch (validity.Type) {
    case 'DAYS':
      return now + value * 24 * 60 * 60 * 1000;
    case 'MONTHS':
      return addMonths(now, value);
    case 'YEARS':
      return addMonths(now, 12 * value);
    default:
      throw new AcmPcaError(
        'InvalidArgsException',
        `Validity.Type ${String(validity.Type)} is not one the local ACM PCA takes (DAYS, MONTHS, YEARS)`,
      );
  }
}

/** The same day and time `months` later; a day the month lacks (31 January + 1) is its last day. */
function addMonths(now: number, months: number): number {
  const at = new Date(now);
  const target = at.getUTCMonth() + months;
  const year = at.getUTCFullYear() + Math.floor(target / 12);
  const month = target % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(at.getUTCDate(), lastDay);
  return Date.UTC(
    year,
    month,
    day,
    at.getUTCHours(),
    at.getUTCMinutes(),
    at.getUTCSeconds(),
    at.getUTCMilliseconds(),
  );
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
