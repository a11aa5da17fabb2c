import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { bytesOf, contextTag, readChildren, readExpected, TAG } from '../../../lib/der/read.ts';
import { type Pkcs10Request, parsePkcs10Pem, verifyPkcs10Signature } from '../../../lib/pkcs10.ts';
import { CsrRejected } from '../../../workflows/rotate-device/errors.ts';

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

function describeKey(spki: Buffer): { description: string; key?: KeyObject; reject?: CsrRejected } {
  let key: KeyObject;
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
        key,
        reject: new CsrRejected(
          'keyTypeUnsupported',
          `the CSR key is on curve ${details.namedCurve ?? 'unknown'}; accepted are P-256 and P-384`,
        ),
      };
    }
    return { description: `EC ${curve}`, key };
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      return {
        description: `RSA ${bits}`,
        key,
        reject: new CsrRejected(
          'keyTooSmall',
          `the CSR key is RSA ${bits} bits; at least ${MIN_RSA_BITS} are needed`,
        ),
      };
    }
    return { description: `RSA ${bits}`, key };
  }
  return {
    description: key.asymmetricKeyType ?? 'unknown',
    key,
    reject: new CsrRejected(
      'keyTypeUnsupported',
      `the CSR key type ${key.asymmetricKeyType ?? 'unknown'} is not accepted; use EC P-256/P-384 or RSA >= 2048`,
    ),
  };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/;

/**
 * The SubjectPublicKeyInfo of a certificate, as its DER carries it: Certificate ::= SEQUENCE {
 * tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, validity, subject,
 * subjectPublicKeyInfo, ... }, ... }. Read in place: a full X.509 parse cost about 0.25 ms of CPU per
 * rotation for the one field compared.
 */
function spkiOfCertificatePem(pem: string): Buffer {
  const body = PEM_CERTIFICATE.exec(pem)?.[1];
  if (body === undefined) throw new Error('not a PEM certificate');
  const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  const certificate = readExpected(der, 0, der.length, TAG.sequence, 'Certificate');
  const tbs = readExpected(der, certificate.contentStart, certificate.end, TAG.sequence, 'tbsCertificate');
  const fields = readChildren(der, tbs);
  const spki = fields[fields[0]?.tag === contextTag(0) ? 6 : 5];
  if (spki?.tag !== TAG.sequence) throw new Error('tbsCertificate has no subjectPublicKeyInfo');
  return bytesOf(der, spki);
}

/**
 * Checks a CSR against invariant 4, in this order: it parses, its signature verifies (the sender has
 * the private key), its key type and size are accepted, its key differs from the old certificate's,
 * and its subject CN is the thing name. Throws `CsrRejected` with one distinct name per reason.
 */
export async function validateCsr(pem: string, options: CsrCheckOptions): Promise<AcceptedCsr> {
  let csr: Pkcs10Request;
  try {
    csr = parsePkcs10Pem(pem);
  } catch (error) {
    throw new CsrRejected(
      'notParsable',
      `the CSR is not a DER-encoded PEM PKCS#10 certificate request (${error instanceof Error ? error.message : 'unreadable'})`,
      { cause: error },
    );
  }
  const spki = csr.subjectPublicKeyInfo;
  const key = describeKey(spki);

  // A key node:crypto cannot load cannot verify anything: report the key, not the signature.
  if (!key.key) throw key.reject ?? new CsrRejected('keyTypeUnsupported', 'the CSR public key is unusable');
  const check = verifyPkcs10Signature(csr, key.key);
  if (check.verdict === 'unsupportedAlgorithm') {
    throw (
      key.reject ??
      new CsrRejected('signatureInvalid', `the CSR signature could not be verified: ${check.reason}`)
    );
  }
  if (check.verdict === 'badSignature') {
    if (check.cause === undefined) {
      throw new CsrRejected('signatureInvalid', 'the CSR signature does not verify with its own key');
    }
    // A signature node:crypto cannot even check with this key: the key is the better reason, if any.
    throw (
      key.reject ??
      new CsrRejected('signatureInvalid', 'the CSR signature could not be verified', { cause: check.cause })
    );
  }
  if (key.reject) throw key.reject;

  let oldSpki: Buffer;
  try {
    oldSpki = spkiOfCertificatePem(options.oldCertificatePem);
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
    const names = csr.commonNames;
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
