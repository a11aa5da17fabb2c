/**
 * Device and CA certificates: issuing (CreateKeysAndCertificate, CreateCertificateFromCsr),
 * registering (RegisterCACertificate, RegisterCertificate, RegisterCertificateWithoutCA),
 * describing, listing, status changes and deletion, with AWS's rules and errors.
 */
import { randomBytes } from 'node:crypto';
import {
  type GeneratedKeys,
  generateKeys,
  isSignedBy,
  type KeyKind,
  type ParsedCertificate,
  parseCertificatePem,
  parseCsr,
} from '../ca/certificates.ts';
import { AWS_DEFAULT_NOT_AFTER, type LocalCertificateAuthority } from '../ca/local-ca.ts';
import {
  CertificateStateException,
  CertificateValidationException,
  DeleteConflictException,
  InvalidRequestException,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from '../errors.ts';
import type { CertificateStatus } from '../interfaces.ts';
import { caCertificateArn, certificateArn, checkCertificateId, type Partition } from './arns.ts';
import { type Page, paginate } from './pagination.ts';
import { type CaCertificateRecord, type CertificateRecord, certificateStatusSchema } from './records.ts';
import type { RegistryState } from './registry-state.ts';

/** How long issued certificates are valid: AWS's fixed end date, or a duration from issue. */
export type IssuedValidity = { readonly notAfter: number } | { readonly durationMs: number };

export const AWS_DEFAULT_VALIDITY: IssuedValidity = { notAfter: AWS_DEFAULT_NOT_AFTER };

export type CertificateChange = {
  readonly certificateId: string;
  readonly status: CertificateStatus | 'DELETED';
};

const SETTABLE_STATUSES = new Set<CertificateStatus>(['ACTIVE', 'INACTIVE', 'REVOKED']);
const REGISTRATION_CODE = 'registrationCode';

export interface IssueOptions {
  readonly setAsActive: boolean;
  /** Overrides the registry's validity for this certificate. */
  readonly validity?: IssuedValidity;
}

export class CertificateOperations {
  private readonly listeners = new Set<(change: CertificateChange) => void>();

  constructor(
    private readonly state: RegistryState,
    private readonly partition: Partition,
    private readonly now: () => number,
    private readonly ca: () => Promise<LocalCertificateAuthority>,
    private validity: IssuedValidity,
    private readonly keyKind: KeyKind,
  ) {}

  setIssuedValidity(validity: IssuedValidity): void {
    this.validity = validity;
  }

  onChange(listener: (change: CertificateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async createKeysAndCertificate(
    options: IssueOptions & { keyKind?: KeyKind },
  ): Promise<{ record: CertificateRecord; keys: GeneratedKeys }> {
    const keys = await generateKeys(options.keyKind ?? this.keyKind);
    const issued = await (await this.ca()).issue({
      spki: keys.spki,
      subject: { commonName: 'AWS IoT Certificate' },
      ...this.window(options.validity),
    });
    return { record: this.store(issued, options.setAsActive ? 'ACTIVE' : 'INACTIVE', 'DEFAULT'), keys };
  }

  async createFromCsr(csrPem: string, options: IssueOptions): Promise<CertificateRecord> {
    if (typeof csrPem !== 'string' || csrPem.trim() === '') {
      throw new InvalidRequestException('certificateSigningRequest is required');
    }
    // Parsed and its signature checked with node:crypto; the key goes to the CA as its SPKI DER.
    const csr = parseCsr(csrPem);
    const issued = await (await this.ca()).issue({
      spki: csr.spki,
      subject:
        csr.subjectDer.byteLength > 2 ? { der: csr.subjectDer } : { commonName: 'AWS IoT Certificate' },
      ...this.window(options.validity),
    });
    return this.store(issued, options.setAsActive ? 'ACTIVE' : 'INACTIVE', 'DEFAULT');
  }

  registrationCode(): string {
    let code = this.state.settings.get(REGISTRATION_CODE);
    if (code === undefined) {
      code = randomBytes(32).toString('hex');
      this.state.settings.put(REGISTRATION_CODE, code);
    }
    return code;
  }

  registerCa(input: {
    caCertificate: string;
    verificationCertificate?: string;
    setAsActive: boolean;
    allowAutoRegistration: boolean;
    certificateMode: 'DEFAULT' | 'SNI_ONLY';
  }): CaCertificateRecord {
    const ca = parseCertificatePem(input.caCertificate, 'caCertificate');
    if (!ca.isCa)
      throw new CertificateValidationException(
        'caCertificate is not a CA certificate (basicConstraints CA is false)',
      );
    this.checkCurrent(ca, 'caCertificate');
    const existing = this.state.caCertificates.get(ca.certificateId);
    if (existing) {
      throw new ResourceAlreadyExistsException(
        `CA certificate ${ca.certificateId} is already registered`,
        ca.certificateId,
        existing.certificateArn,
      );
    }
    if (input.certificateMode === 'DEFAULT') {
      if (input.verificationCertificate === undefined) {
        throw new InvalidRequestException(
          'verificationCertificate is required when certificateMode is DEFAULT',
        );
      }
      const proof = parseCertificatePem(input.verificationCertificate, 'verificationCertificate');
      if (!isSignedBy(proof, ca)) {
        throw new CertificateValidationException('verificationCertificate is not signed by caCertificate');
      }
      const cn = /(?:^|\n)CN=([^\n]*)/.exec(proof.subject)?.[1];
      if (cn !== this.registrationCode()) {
        throw new CertificateValidationException(
          "verificationCertificate's common name is not the registration code",
        );
      }
    }
    const now = this.now();
    const record: CaCertificateRecord = {
      certificateId: ca.certificateId,
      certificateArn: caCertificateArn(this.partition, ca.certificateId),
      certificatePem: ca.pem,
      status: input.setAsActive ? 'ACTIVE' : 'INACTIVE',
      autoRegistrationStatus: input.allowAutoRegistration ? 'ENABLE' : 'DISABLE',
      certificateMode: input.certificateMode,
      creationDate: now,
      lastModifiedDate: now,
      notBefore: ca.notBefore,
      notAfter: ca.notAfter,
      customerVersion: 1,
      generationId: randomBytes(16).toString('hex'),
    };
    this.state.caCertificates.put(record.certificateId, record);
    return record;
  }

  describeCa(id: string): CaCertificateRecord {
    checkCertificateId(id);
    return this.state.caCertificates.existing(id);
  }

  findCa(id: string): CaCertificateRecord | undefined {
    return this.state.caCertificates.get(id);
  }

  listCas(marker: string | undefined, limit: number, ascending: boolean): Page<CaCertificateRecord> {
    return paginate(byCreation([...this.state.caCertificates.values()], ascending), sortKey, marker, limit);
  }

  updateCa(id: string, newStatus: string | undefined, autoRegistration: string | undefined): void {
    const ca = this.describeCa(id);
    if (newStatus !== undefined && newStatus !== 'ACTIVE' && newStatus !== 'INACTIVE') {
      throw new InvalidRequestException(`newStatus must be ACTIVE or INACTIVE, got '${newStatus}'`);
    }
    if (autoRegistration !== undefined && autoRegistration !== 'ENABLE' && autoRegistration !== 'DISABLE') {
      throw new InvalidRequestException(
        `newAutoRegistrationStatus must be ENABLE or DISABLE, got '${autoRegistration}'`,
      );
    }
    this.state.caCertificates.put(id, {
      ...ca,
      status: newStatus ?? ca.status,
      autoRegistrationStatus: autoRegistration ?? ca.autoRegistrationStatus,
      lastModifiedDate: this.now(),
      customerVersion: ca.customerVersion + 1,
    });
  }

  deleteCa(id: string): void {
    const ca = this.describeCa(id);
    if (ca.status === 'ACTIVE')
      throw new CertificateStateException(`CA certificate ${id} is ACTIVE; set it INACTIVE first`);
    this.state.caCertificates.delete(id);
  }

  /** RegisterCertificate: a certificate signed by a registered CA. Status INACTIVE unless told. */
  register(input: {
    certificatePem: string;
    caCertificatePem?: string;
    setAsActive?: boolean;
    status?: string;
  }): CertificateRecord {
    const cert = parseCertificatePem(input.certificatePem, 'certificatePem');
    let ca: CaCertificateRecord | undefined;
    if (input.caCertificatePem !== undefined) {
      const given = parseCertificatePem(input.caCertificatePem, 'caCertificatePem');
      ca = this.state.caCertificates.get(given.certificateId);
      if (!ca) throw new ResourceNotFoundException(`CA certificate ${given.certificateId} is not registered`);
      if (!isSignedBy(cert, given))
        throw new CertificateValidationException('certificatePem is not signed by caCertificatePem');
    } else {
      ca = [...this.state.caCertificates.values()].find((c) =>
        isSignedBy(cert, parseCertificatePem(c.certificatePem)),
      );
      if (!ca)
        throw new CertificateValidationException(
          'certificatePem is not signed by any registered CA certificate',
        );
    }
    if (ca.status !== 'ACTIVE')
      throw new CertificateStateException(`CA certificate ${ca.certificateId} is not ACTIVE`);
    this.checkCurrent(cert, 'certificatePem');
    const status = this.registeredStatus(input.setAsActive, input.status);
    return this.store(cert, status, 'DEFAULT', ca.certificateId);
  }

  /** RegisterCertificateWithoutCA: trusted by registration alone (SNI_ONLY on AWS). */
  registerWithoutCa(input: { certificatePem: string; status?: string }): CertificateRecord {
    const cert = parseCertificatePem(input.certificatePem, 'certificatePem');
    this.checkCurrent(cert, 'certificatePem');
    return this.store(cert, this.registeredStatus(undefined, input.status), 'SNI_ONLY');
  }

  describe(id: string): CertificateRecord {
    checkCertificateId(id);
    return this.state.certificates.existing(id);
  }

  find(id: string): CertificateRecord | undefined {
    return this.state.certificates.get(id);
  }

  list(marker: string | undefined, limit: number, ascending: boolean): Page<CertificateRecord> {
    return paginate(byCreation([...this.state.certificates.values()], ascending), sortKey, marker, limit);
  }

  all(): IterableIterator<CertificateRecord> {
    return this.state.certificates.values();
  }

  update(id: string, newStatus: string): void {
    const cert = this.describe(id);
    if (!isCertificateStatus(newStatus) || !SETTABLE_STATUSES.has(newStatus)) {
      throw new InvalidRequestException(
        `newStatus must be one of ACTIVE, INACTIVE, REVOKED; got '${newStatus}'`,
      );
    }
    if (cert.status === 'REVOKED' && newStatus !== 'REVOKED') {
      throw new CertificateStateException(`certificate ${id} is REVOKED and cannot become ${newStatus}`);
    }
    if (cert.status === 'PENDING_TRANSFER') {
      throw new CertificateStateException(`certificate ${id} is PENDING_TRANSFER`);
    }
    if (newStatus === 'ACTIVE' && cert.caCertificateId !== undefined) {
      const ca = this.state.caCertificates.get(cert.caCertificateId);
      if (ca && ca.status !== 'ACTIVE') {
        throw new CertificateStateException(
          `the CA certificate ${ca.certificateId} of certificate ${id} is not ACTIVE`,
        );
      }
    }
    if (cert.status === newStatus) return;
    this.state.certificates.put(id, {
      ...cert,
      status: newStatus,
      lastModifiedDate: this.now(),
      customerVersion: cert.customerVersion + 1,
    });
    this.emit({ certificateId: id, status: newStatus });
  }

  delete(id: string, forceDelete: boolean): void {
    const cert = this.describe(id);
    if (cert.status === 'ACTIVE') {
      throw new CertificateStateException(`certificate ${id} is ACTIVE; set it INACTIVE before deleting it`);
    }
    const things = this.state.thingPrincipals.leftsOf(id);
    if (things.length > 0) {
      throw new DeleteConflictException(
        `certificate ${id} is attached to ${things.length} thing(s); detach it first`,
      );
    }
    const policies = this.state.policyTargets.leftsOf(id);
    if (policies.length > 0 && !forceDelete) {
      throw new DeleteConflictException(
        `certificate ${id} has ${policies.length} policy(ies) attached; detach them first`,
      );
    }
    for (const policy of policies) this.state.policyTargets.remove(policy, id);
    this.state.certificates.delete(id);
    this.emit({ certificateId: id, status: 'DELETED' });
  }

  private registeredStatus(setAsActive: boolean | undefined, status: string | undefined): CertificateStatus {
    if (status !== undefined) {
      if (!isCertificateStatus(status))
        throw new InvalidRequestException(`status '${status}' is not a certificate status`);
      return status;
    }
    return setAsActive ? 'ACTIVE' : 'INACTIVE';
  }

  private checkCurrent(cert: ParsedCertificate, field: string): void {
    const now = this.now();
    if (cert.notAfter < now) throw new CertificateValidationException(`${field} has expired`);
    if (cert.notBefore > now) throw new CertificateValidationException(`${field} is not yet valid`);
  }

  private window(override?: IssuedValidity): { notBefore: number; notAfter: number } {
    const validity = override ?? this.validity;
    const now = this.now();
    const notAfter = 'durationMs' in validity ? now + validity.durationMs : validity.notAfter;
    // The core-wide setting must give usable certificates; a per-call override (the test-fleet
    // path) may ask for an already expired one, to exercise expiry handling.
    if (override === undefined && notAfter <= now) {
      throw new InvalidRequestException('the configured certificate validity ends before now');
    }
    // Backdated a little, as public CAs do, so a device with a slow clock accepts it.
    const notBefore = Math.min(now, notAfter) - 60_000;
    return { notBefore, notAfter };
  }

  private store(
    cert: ParsedCertificate,
    status: CertificateStatus,
    mode: 'DEFAULT' | 'SNI_ONLY',
    caCertificateId?: string,
  ): CertificateRecord {
    const existing = this.state.certificates.get(cert.certificateId);
    if (existing) {
      throw new ResourceAlreadyExistsException(
        `certificate ${cert.certificateId} is already registered`,
        cert.certificateId,
        existing.certificateArn,
      );
    }
    const now = this.now();
    const commonName = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
    const record: CertificateRecord = {
      certificateId: cert.certificateId,
      certificateArn: certificateArn(this.partition, cert.certificateId),
      certificatePem: cert.pem,
      status,
      certificateMode: mode,
      creationDate: now,
      lastModifiedDate: now,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      customerVersion: 1,
      generationId: randomBytes(16).toString('hex'),
      ...(caCertificateId === undefined ? {} : { caCertificateId }),
      ...(commonName === undefined ? {} : { subjectCommonName: commonName }),
    };
    this.state.certificates.put(record.certificateId, record);
    return record;
  }

  private emit(change: CertificateChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function isCertificateStatus(value: string): value is CertificateStatus {
  return certificateStatusSchema.safeParse(value).success;
}

function sortKey(record: { creationDate: number; certificateId: string }): string {
  return `${String(record.creationDate).padStart(16, '0')}:${record.certificateId}`;
}

function byCreation<T extends { creationDate: number; certificateId: string }>(
  items: T[],
  ascending: boolean,
): T[] {
  const sorted = items.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  return ascending ? sorted : sorted.reverse();
}
