import 'reflect-metadata';
import { createHash, createPublicKey } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CsrRejected } from '../../workflows/rotate-device/errors.ts';

// @peculiar/x509 uses Node's global WebCrypto (globalThis.crypto, Node >= 19) by default.

/** Node's names of the accepted curves (P-256, P-384). */
const ACCEPTED_CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384' };
export const MIN_RSA_BITS = 2048;

export interface CsrCheckOptions {
  readonly thingName: string;
  /** PEM of the certificate being replaced: the new key must differ from its key. */
  readonly oldCertificatePem: string;
  /** Whether the subject CN must be the thing name (default true). */
  readonly requireCnMatch?: boolean;
}

export interface AcceptedCsr {
  /** SHA-256 of the CSR's SubjectPublicKeyInfo (DER), hex: the issuance marker's key. */
  readonly keyFingerprint: string;
  /** `EC P-256`, `EC P-384` or `RSA 2048`... for the logs. */
  readonly keyDescription: string;
}

function spkiOf(data: ArrayBuffer): Buffer {
  return Buffer.from(data);
}

function describeKey(spki: Buffer): { description: string; reject?: CsrRejected } {
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (error) {
    return {
      description: 'unknown',
      reject: new CsrRejected('keyTypeUnsupported', 'the CSR public key is of an unknown type', {
        cause: error,
      }),
    };
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const curve = ACCEPTED_CURVES[details.namedCurve ?? ''];
    if (!curve) {
      return {
        description: `EC ${details.namedCurve ?? '?'}`,
        reject: new CsrRejected(
          'keyTypeUnsupported',
          `the CSR key is on curve ${details.namedCurve ?? 'unknown'}; accepted are P-256 and P-384`,
        ),
      };
    }
    return { description: `EC ${curve}` };
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      return {
        description: `RSA ${bits}`,
        reject: new CsrRejected(
          'keyTooSmall',
          `the CSR key is RSA ${bits} bits; at least ${MIN_RSA_BITS} are needed`,
        ),
      };
    }
    return { description: `RSA ${bits}` };
  }
  return {
    description: key.asymmetricKeyType ?? 'unknown',
    reject: new CsrRejected(
      'keyTypeUnsupported',
      `the CSR key type ${key.asymmetricKeyType ?? 'unknown'} is not accepted; use EC P-256/P-384 or RSA >= 2048`,
    ),
  };
}

/**
 * Checks a CSR against invariant 4, in this order: it parses, its signature verifies (the sender has
 * the private key), its key type and size are accepted, its key differs from the old certificate's,
 * and its subject CN is the thing name. Throws `CsrRejected` with one distinct name per reason.
 */
export async function validateCsr(pem: string, options: CsrCheckOptions): Promise<AcceptedCsr> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem.trim());
  } catch (error) {
    throw new CsrRejected('notParsable', 'the CSR is not a PEM PKCS#10 certificate request', {
      cause: error,
    });
  }

  const spki = spkiOf(csr.publicKey.rawData);
  const key = describeKey(spki);

  let verified = false;
  try {
    verified = await csr.verify();
  } catch (error) {
    // An unsupported key cannot be verified by WebCrypto: report the key, not the signature.
    if (key.reject) throw key.reject;
    throw new CsrRejected('signatureInvalid', 'the CSR signature could not be verified', { cause: error });
  }
  if (!verified)
    throw new CsrRejected('signatureInvalid', 'the CSR signature does not verify with its own key');
  if (key.reject) throw key.reject;

  let oldSpki: Buffer;
  try {
    oldSpki = spkiOf(new x509.X509Certificate(options.oldCertificatePem).publicKey.rawData);
  } catch (error) {
    throw new Error('the old certificate PEM does not parse', { cause: error });
  }
  if (oldSpki.equals(spki)) {
    throw new CsrRejected(
      'keyReused',
      'the CSR reuses the key of the certificate it replaces; a new key is needed',
    );
  }

  if (options.requireCnMatch ?? true) {
    const names = csr.subjectName.getField('CN');
    if (names.length !== 1 || names[0] !== options.thingName) {
      throw new CsrRejected(
        'subjectMismatch',
        `the CSR subject CN is ${JSON.stringify(names)}, expected exactly ${JSON.stringify(options.thingName)}`,
      );
    }
  }

  return {
    keyFingerprint: createHash('sha256').update(spki).digest('hex'),
    keyDescription: key.description,
  };
}
