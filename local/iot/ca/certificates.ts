/**
 * Parsing and checking of the X.509 material the IoT APIs receive: PEM certificates, CSRs, and the
 * key pairs CreateKeysAndCertificate hands out. The certificate id is AWS's: SHA-256 hex of the DER.
 */
import 'reflect-metadata';
import {
  createHash,
  createPublicKey,
  type KeyObject,
  X509Certificate as NodeX509Certificate,
  webcrypto,
} from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  type Pkcs10Request,
  parsePkcs10Pem,
  type SignatureVerdict,
  verifyPkcs10Signature,
} from '../../../lib/pkcs10.ts';
import { CertificateValidationException, InvalidRequestException } from '../errors.ts';

x509.cryptoProvider.set(webcrypto);

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const subtle = webcrypto.subtle;

export function certificateIdOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

export interface ParsedCertificate {
  readonly der: Buffer;
  readonly pem: string;
  readonly certificateId: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly subject: string;
  readonly issuer: string;
  readonly isCa: boolean;
  readonly node: NodeX509Certificate;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** Parses the first certificate of a PEM string; anything else is a CertificateValidationException. */
export function parseCertificatePem(pem: string, what = 'certificate'): ParsedCertificate {
  const block = PEM_CERT.exec(pem)?.[0];
  if (block === undefined) {
    throw new CertificateValidationException(`${what} is not a PEM-encoded X.509 certificate`);
  }
  let node: NodeX509Certificate;
  try {
    node = new NodeX509Certificate(block);
  } catch (error) {
    throw new CertificateValidationException(`${what} could not be parsed as X.509`, { cause: error });
  }
  return fromNode(node);
}

export function parseCertificateDer(der: Buffer): ParsedCertificate {
  return fromNode(new NodeX509Certificate(der));
}

function fromNode(node: NodeX509Certificate): ParsedCertificate {
  return {
    der: node.raw,
    pem: toPem(node.raw, 'CERTIFICATE'),
    certificateId: certificateIdOf(node.raw),
    notBefore: Date.parse(node.validFrom),
    notAfter: Date.parse(node.validTo),
    subject: node.subject,
    issuer: node.issuer,
    isCa: node.ca,
    node,
  };
}

export function toPem(der: Uint8Array | ArrayBuffer, label: string): string {
  const base64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** True when `issuer` signed `cert` (names chain and the signature verifies). */
export function isSignedBy(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    return cert.node.checkIssued(issuer.node) && cert.node.verify(issuer.node.publicKey);
  } catch {
    return false;
  }
}

export interface ParsedCsr {
  /** The subject's SubjectPublicKeyInfo (DER), which the issued certificate carries. */
  readonly spki: Buffer;
  /** The subject Name as DER, copied into the issued certificate. */
  readonly subjectDer: Buffer;
  readonly commonNames: readonly string[];
}

/** Node's names of the curves AWS IoT (and WebCrypto) take: P-256, P-384, P-521. */
const CSR_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/**
 * Parses a PKCS#10 CSR and checks its self-signature; a bad one is an InvalidRequestException.
 * AWS IoT documents SHA-2 signing algorithms with RSA and ECDSA for device certificates
 * (developerguide/x509-client-certs.html), so a SHA-1 or EdDSA request is refused as unsupported.
 */
export function parseCsr(pem: string): ParsedCsr {
  let csr: Pkcs10Request;
  try {
    csr = parsePkcs10Pem(pem);
  } catch (error) {
    throw new InvalidRequestException('certificateSigningRequest is not a valid PEM-encoded CSR', {
      cause: error,
    });
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: csr.subjectPublicKeyInfo, format: 'der', type: 'spki' });
  } catch (error) {
    throw new InvalidRequestException('certificateSigningRequest has an unsupported public key', {
      cause: error,
    });
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const check: SignatureVerdict =
    key.asymmetricKeyType === 'ec' && !CSR_CURVES.has(curve ?? '')
      ? { verdict: 'unsupportedAlgorithm', reason: `EC curve ${curve ?? 'unknown'}` }
      : verifyPkcs10Signature(csr, key);
  if (check.verdict === 'unsupportedAlgorithm' || (check.verdict === 'badSignature' && check.cause)) {
    throw new InvalidRequestException(
      'certificateSigningRequest uses an unsupported key or signature algorithm',
      check.verdict === 'badSignature' ? { cause: check.cause } : {},
    );
  }
  if (check.verdict !== 'verified') {
    throw new InvalidRequestException('certificateSigningRequest signature does not verify');
  }
  return { spki: csr.subjectPublicKeyInfo, subjectDer: csr.subject, commonNames: csr.commonNames };
}

export type KeyKind = 'rsa-2048' | 'ec-p256';

export const EC_P256: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const RSA_2048: webcrypto.RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};

export interface GeneratedKeys {
  readonly keys: CryptoKeyPair;
  /** The public key's SubjectPublicKeyInfo (DER), which the issued certificate carries. */
  readonly spki: Buffer;
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
}

export async function generateKeys(kind: KeyKind): Promise<GeneratedKeys> {
  const params = kind === 'rsa-2048' ? RSA_2048 : EC_P256;
  const keys = await subtle.generateKey(params, true, ['sign', 'verify']);
  const spki = await subtle.exportKey('spki', keys.publicKey);
  const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
  // AWS hands out PKCS#1 RSA keys; PKCS#8 is what every TLS stack accepts for both kinds.
  return {
    keys,
    spki: Buffer.from(spki),
    publicKeyPem: toPem(spki, 'PUBLIC KEY'),
    privateKeyPem: toPem(pkcs8, 'PRIVATE KEY'),
  };
}

export { x509 };
