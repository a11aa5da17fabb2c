import 'reflect-metadata';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createCsrDer, toPem } from './csr.ts';
import { CertificateRejectedError, CredentialMismatchError } from './errors.ts';
import { memoizeByPem } from './pem-memo.ts';

/**
 * The key material a device handles: new keys, CSRs, and the checks that a certificate belongs to a
 * key and to a CA. Keys travel as PKCS#8 PEM strings so the same code serves files and memory.
 */

x509.cryptoProvider.set(webcrypto);

export const KEY_TYPES = ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072'] as const;
export type KeyType = (typeof KEY_TYPES)[number];
/** RSA 1024 exists only so the fleet simulator can play a device that offers a weak key. */
export type AnyKeyType = KeyType | 'rsa-1024';

export function isKeyType(value: string): value is KeyType {
  return (KEY_TYPES as readonly string[]).includes(value);
}

/** A parsed private key, by its PEM (a key the device generated is remembered at once). */
const privateKeys = memoizeByPem((privateKeyPem) => createPrivateKey(privateKeyPem));
/** The DER SubjectPublicKeyInfo of a private key's public half, by the private key's PEM. */
const spkiOfPrivateKey = memoizeByPem((privateKeyPem) =>
  createPublicKey(privateKeys.get(privateKeyPem)).export({ type: 'spki', format: 'der' }),
);
/** A parsed certificate, by its PEM: the delivered one is read for its id, its key and its issuer. */
const certificates = memoizeByPem((certificatePem) => new X509Certificate(certificatePem));
const spkiOfCertificate = memoizeByPem((certificatePem) =>
  certificates.get(certificatePem).publicKey.export({ type: 'spki', format: 'der' }),
);
const idOfCertificate = memoizeByPem((certificatePem) =>
  createHash('sha256').update(certificates.get(certificatePem).raw).digest('hex'),
);

/** A new private key as PKCS#8 PEM. */
export async function generatePrivateKeyPem(type: AnyKeyType): Promise<string> {
  const pair = await new Promise<{ publicKey: KeyObject; privateKey: KeyObject }>((resolve, reject) => {
    const done = (error: Error | null, publicKey: KeyObject, privateKey: KeyObject): void => {
      if (error) reject(error);
      else resolve({ publicKey, privateKey });
    };
    switch (type) {
      case 'ec-p256':
        generateKeyPair('ec', { namedCurve: 'P-256' }, done);
        break;
      case 'ec-p384':
        generateKeyPair('ec', { namedCurve: 'P-384' }, done);
        break;
      case 'rsa-1024':
        generateKeyPair('rsa', { modulusLength: 1024 }, done);
        break;
      case 'rsa-2048':
        generateKeyPair('rsa', { modulusLength: 2048 }, done);
        break;
      case 'rsa-3072':
        generateKeyPair('rsa', { modulusLength: 3072 }, done);
        break;
    }
  });
  const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // The key is in hand: its CSR and the check of the certificate that comes back need no parse.
  privateKeys.remember(pem, pair.privateKey);
  spkiOfPrivateKey.remember(pem, pair.publicKey.export({ type: 'spki', format: 'der' }));
  return pem;
}

/** DER of the SubjectPublicKeyInfo of a private key, a certificate or a CSR's key (a fresh copy). */
export function publicKeyDerOfPrivateKey(privateKeyPem: string): Buffer {
  return Buffer.from(spkiOfPrivateKey.get(privateKeyPem));
}

export function publicKeyDerOfCertificate(certificatePem: string): Buffer {
  return Buffer.from(spkiOfCertificate.get(certificatePem));
}

/** AWS IoT's certificate id: the SHA-256 of the certificate's DER, in lower-case hex. */
export function certificateIdOf(certificatePem: string): string {
  return idOfCertificate.get(certificatePem);
}

/** True when the certificate carries the public half of this private key. Never throws. */
export function keyMatchesCertificate(privateKeyPem: string, certificatePem: string): boolean {
  try {
    return spkiOfPrivateKey.get(privateKeyPem).equals(spkiOfCertificate.get(certificatePem));
  } catch {
    return false;
  }
}

/** Throws CredentialMismatchError when the pair cannot work together (or either part does not parse). */
export function assertPairMatches(privateKeyPem: string, certificatePem: string, what: string): void {
  if (!keyMatchesCertificate(privateKeyPem, certificatePem)) {
    throw new CredentialMismatchError(`${what}: the private key does not match the certificate's public key`);
  }
}

/**
 * Checks a delivered certificate before the device trusts it: it parses, carries the pending key and,
 * when a CA bundle is given, was signed by one of its certificates.
 */
export function checkDeliveredCertificate(
  certificatePem: string,
  pendingKeyPem: string,
  caPem?: string,
): void {
  let certificate: X509Certificate;
  try {
    certificate = certificates.get(certificatePem);
  } catch (error) {
    throw new CertificateRejectedError('the delivered certificate does not parse as X.509 PEM', {
      cause: error,
    });
  }
  if (!keyMatchesCertificate(pendingKeyPem, certificatePem)) {
    throw new CertificateRejectedError("the delivered certificate's public key is not the pending key");
  }
  if (caPem !== undefined) {
    const authorities = splitPemCertificates(caPem);
    const signed = authorities.some((ca) => {
      try {
        return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
      } catch {
        return false;
      }
    });
    if (!signed) {
      throw new CertificateRejectedError('the delivered certificate does not chain to the configured CA');
    }
  }
}

function splitPemCertificates(bundle: string): X509Certificate[] {
  const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const out: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      // A block that does not parse cannot have signed anything.
    }
  }
  return out;
}

function signingParamsFor(privateKeyPem: string): {
  importAlgorithm: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
} {
  const details = createPublicKey(privateKeyPem);
  if (details.asymmetricKeyType === 'rsa') {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { importAlgorithm: algorithm, signingAlgorithm: algorithm };
  }
  if (details.asymmetricKeyType === 'ec') {
    const curve = details.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') {
      return {
        importAlgorithm: { name: 'ECDSA', namedCurve: 'P-256' },
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      };
    }
    if (curve === 'secp384r1') {
      return {
        importAlgorithm: { name: 'ECDSA', namedCurve: 'P-384' },
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
      };
    }
    throw new RangeError(`unsupported EC curve ${curve ?? 'unknown'}`);
  }
  throw new RangeError(`unsupported key type ${details.asymmetricKeyType ?? 'unknown'}`);
}

/** Imports a PKCS#8 PEM private key and its public half as a WebCrypto key pair for signing. */
export async function importKeyPair(privateKeyPem: string): Promise<{
  keys: webcrypto.CryptoKeyPair;
  signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
}> {
  const { importAlgorithm, signingAlgorithm } = signingParamsFor(privateKeyPem);
  const subtle = webcrypto.subtle;
  const pkcs8 = x509.PemConverter.decodeFirst(privateKeyPem);
  const privateKey = await subtle.importKey('pkcs8', pkcs8, importAlgorithm, false, ['sign']);
  const publicKey = await subtle.importKey(
    'spki',
    publicKeyDerOfPrivateKey(privateKeyPem),
    importAlgorithm,
    true,
    ['verify'],
  );
  return { keys: { privateKey, publicKey }, signingAlgorithm };
}

/** A PKCS#10 CSR in PEM for the key, with subject `CN=<commonName>`. */
export async function createCsrPem(privateKeyPem: string, commonName: string): Promise<string> {
  return toPem('CERTIFICATE REQUEST', createCsrDer(privateKeys.get(privateKeyPem), commonName));
}
