/**
 * The local certificate authorities, kept in `<stateDir>/iot/ca/`:
 * - a root CA that signs the MQTT server certificate; devices are given it to trust the endpoint;
 * - a device CA (signed by the root) that stands in for AWS IoT's own CA and signs what
 *   CreateKeysAndCertificate and CreateCertificateFromCsr issue.
 * Both are created once and reused across restarts.
 */
import { createPrivateKey, type KeyObject, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../../lib/clock.ts';
import { writeFileAtomic } from '../store/entity-log.ts';
import {
  type CryptoKey,
  type CryptoKeyPair,
  EC_P256,
  type ParsedCertificate,
  parseCertificateDer,
  parseCertificatePem,
  subtle,
  toPem,
  x509,
} from './certificates.ts';
import { type EndEntity, type Issuer, issueCertificate } from './issue-certificate.ts';

/** AWS IoT's CA issues certificates that end on the last second of 2049. */
export const AWS_DEFAULT_NOT_AFTER = Date.UTC(2049, 11, 31, 23, 59, 59);
// TLS peers check the server's certificate against the wall clock, not the shared clock, so the
// authorities are valid from well before either clock starts until far beyond any test run.
const AUTHORITY_NOT_AFTER = Date.UTC(2099, 11, 31, 23, 59, 59);
const DAY_MS = 24 * 60 * 60 * 1000;

const DEVICE_CA_NAME = 'CN=recert local device CA, O=recert, C=US';

export interface KeyedCertificate {
  readonly certificate: ParsedCertificate;
  /** For the library that signs the authorities' own certificates. */
  readonly privateKey: CryptoKey;
  /** The same key for node:crypto, made once from its PKCS#8: what signs device certificates. */
  readonly signingKey: KeyObject;
}

export interface CaPaths {
  readonly rootCaPem: string;
  readonly deviceCaPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
}

export type IssueRequest = EndEntity;

export class LocalCertificateAuthority {
  private readonly issuer: Issuer;

  private constructor(
    readonly paths: CaPaths,
    readonly root: KeyedCertificate,
    readonly deviceCa: KeyedCertificate,
  ) {
    this.issuer = issuerOf(deviceCa, 'the device CA');
  }

  static async openOrCreate(dir: string, clock: Clock): Promise<LocalCertificateAuthority> {
    mkdirSync(dir, { recursive: true });
    const paths: CaPaths = {
      rootCaPem: join(dir, 'root-ca.pem'),
      deviceCaPem: join(dir, 'device-ca.pem'),
      serverCertPem: join(dir, 'server.pem'),
      serverKeyPem: join(dir, 'server.key'),
    };
    const notBefore = Math.min(Date.now(), clock.now()) - 2 * DAY_MS;
    const root = await loadOrCreate(dir, 'root-ca', () =>
      createSelfSignedAuthority('CN=recert local root CA, O=recert, C=US', notBefore),
    );
    const deviceCa = await loadOrCreate(dir, 'device-ca', async () => {
      const keys = await subtle.generateKey(EC_P256, true, ['sign', 'verify']);
      const cert = await signWith(root, {
        publicKey: keys.publicKey,
        subject: DEVICE_CA_NAME,
        notBefore,
        notAfter: AUTHORITY_NOT_AFTER,
        ca: true,
      });
      return { keys, cert };
    });
    if (!existsSync(paths.serverCertPem) || !existsSync(paths.serverKeyPem)) {
      const keys = await subtle.generateKey(EC_P256, true, ['sign', 'verify']);
      const cert = await signWith(root, {
        publicKey: keys.publicKey,
        subject: 'CN=localhost, O=recert',
        notBefore,
        notAfter: AUTHORITY_NOT_AFTER,
        ca: false,
        serverNames: true,
      });
      const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
      writeFileAtomic(paths.serverKeyPem, toPem(pkcs8, 'PRIVATE KEY'), 0o600);
      writeFileAtomic(paths.serverCertPem, cert.toString('pem'));
    }
    return new LocalCertificateAuthority(paths, root, deviceCa);
  }

  /** Signs a device certificate with the device CA. */
  async issue(request: IssueRequest): Promise<ParsedCertificate> {
    return parseCertificateDer(issueCertificate(this.issuer, request));
  }

  rootCaPem(): string {
    return this.root.certificate.pem;
  }

  deviceCaPem(): string {
    return this.deviceCa.certificate.pem;
  }
}

/** What `issueCertificate` needs of an authority: its name, key identifier and signing key. */
export function issuerOf(authority: KeyedCertificate, what: string): Issuer {
  const parsed = new x509.X509Certificate(authority.certificate.der);
  const keyId = parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (keyId === undefined) throw new Error(`${what} certificate has no subject key identifier`);
  return {
    nameDer: new Uint8Array(parsed.subjectName.toArrayBuffer()),
    keyIdentifier: Buffer.from(keyId, 'hex'),
    privateKey: authority.signingKey,
  };
}

/** A self-signed EC P-256 authority certificate (a root), valid from `notBefore` to 2099. */
export async function createSelfSignedAuthority(
  name: string,
  notBefore: number,
): Promise<{ keys: CryptoKeyPair; cert: x509.X509Certificate }> {
  const keys = await subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: new Date(notBefore),
    notAfter: new Date(AUTHORITY_NOT_AFTER),
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keys, cert };
}

function serial(): string {
  // Positive, 16 bytes, as RFC 5280 asks.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

interface AuthorityRequest {
  readonly publicKey: CryptoKey;
  readonly subject: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly ca: boolean;
  readonly serverNames?: boolean;
}

/** Signs the authorities' own certificates (device CA, server): rare, so the general library is fine. */
async function signWith(issuer: KeyedCertificate, request: AuthorityRequest): Promise<x509.X509Certificate> {
  const issuerCert = new x509.X509Certificate(issuer.certificate.der);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(request.ca, request.ca ? 0 : undefined, true),
    new x509.KeyUsagesExtension(
      request.ca
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(request.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(issuerCert),
  ];
  if (!request.ca) {
    extensions.push(
      new x509.ExtendedKeyUsageExtension(
        request.serverNames ? [x509.ExtendedKeyUsage.serverAuth] : [x509.ExtendedKeyUsage.clientAuth],
      ),
    );
  }
  if (request.serverNames) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    );
  }
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: request.subject,
    issuer: issuerCert.subjectName,
    notBefore: new Date(request.notBefore),
    notAfter: new Date(request.notAfter),
    publicKey: request.publicKey,
    signingKey: issuer.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions,
  });
}

/** An authority's certificate and key from `<dir>/<name>.pem|.key`, made by `create` the first time. */
export async function loadOrCreate(
  dir: string,
  name: string,
  create: () => Promise<{ keys: CryptoKeyPair; cert: x509.X509Certificate }>,
): Promise<KeyedCertificate> {
  const certPath = join(dir, `${name}.pem`);
  const keyPath = join(dir, `${name}.key`);
  if (existsSync(certPath) && existsSync(keyPath)) {
    const certificate = parseCertificatePem(readFileSync(certPath, 'utf8'), `${name} certificate`);
    const keyDer = pemBody(readFileSync(keyPath, 'utf8'));
    const privateKey = await subtle.importKey('pkcs8', keyDer, EC_P256, true, ['sign']);
    return { certificate, privateKey, signingKey: signingKeyOf(keyDer) };
  }
  const { keys, cert } = await create();
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
  writeFileAtomic(keyPath, toPem(pkcs8, 'PRIVATE KEY'), 0o600);
  writeFileAtomic(certPath, cert.toString('pem'));
  return {
    certificate: parseCertificatePem(cert.toString('pem')),
    privateKey: keys.privateKey,
    signingKey: signingKeyOf(pkcs8),
  };
}

function signingKeyOf(pkcs8: Buffer): KeyObject {
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
