import 'reflect-metadata';
import { createHash, createPublicKey, type KeyObject, verify, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { z } from 'zod';
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
    reject: new CsrRejected(
      'keyTypeUnsupported',
      `the CSR key type ${key.asymmetricKeyType ?? 'unknown'} is not accepted; use EC P-256/P-384 or RSA >= 2048`,
    ),
  };
}

/** The library's WebCrypto description of the signature algorithm, the fields used here. */
const WebSignatureAlgorithm = z.object({ name: z.string(), hash: z.object({ name: z.string() }) });

/** node:crypto's digest for the hash of the CSR's signature algorithm (WebCrypto names). */
const NODE_HASHES: Readonly<Record<string, string>> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/**
 * The DER layout of a request: SEQUENCE { info SEQUENCE, algorithm SEQUENCE, signature BIT STRING
 * with no unused bits }, each element ending where the next begins and the last at the end. Returns
 * where the signed request info lies, or undefined for anything else (BER's indefinite lengths, a
 * wrong tag, trailing bytes): the library reads such input leniently, but a CSR is DER (RFC 2986).
 */
function requestInfoOf(der: Buffer): { start: number; end: number } | undefined {
  const element = (at: number, tag: number): { contentStart: number; end: number } | undefined => {
    const first = der[at + 1];
    if (der[at] !== tag || first === undefined) return undefined;
    if (first < 0x80) return { contentStart: at + 2, end: at + 2 + first };
    const octets = first & 0x7f;
    if (octets === 0 || octets > 4) return undefined;
    let length = 0;
    for (let i = 0; i < octets; i += 1) {
      const byte = der[at + 2 + i];
      if (byte === undefined) return undefined;
      length = length * 256 + byte;
    }
    return { contentStart: at + 2 + octets, end: at + 2 + octets + length };
  };
  const outer = element(0, 0x30);
  if (!outer || outer.end !== der.length) return undefined;
  const info = element(outer.contentStart, 0x30);
  if (!info) return undefined;
  const algorithm = element(info.end, 0x30);
  if (!algorithm) return undefined;
  const signature = element(algorithm.end, 0x03);
  if (!signature || signature.end !== outer.end || der[signature.contentStart] !== 0) return undefined;
  return { start: outer.contentStart, end: info.end };
}

/**
 * Verifies the CSR's signature with node:crypto and the key already parsed for its checks, for the
 * common algorithms (ECDSA and RSA PKCS#1 v1.5 with SHA-2): the same check WebCrypto makes, without
 * importing the key a second time. Undefined for another algorithm (RSA-PSS, say): the library's own
 * verification decides then.
 */
function verifyWithNode(
  csr: x509.Pkcs10CertificateRequest,
  info: { start: number; end: number },
  key: KeyObject | undefined,
): boolean | undefined {
  if (!key) return undefined;
  const parsed = WebSignatureAlgorithm.safeParse(csr.signatureAlgorithm);
  if (!parsed.success) return undefined;
  const algorithm = parsed.data;
  const hash = NODE_HASHES[algorithm.hash.name];
  const ecdsa = algorithm.name === 'ECDSA' && key.asymmetricKeyType === 'ec';
  const rsa = algorithm.name === 'RSASSA-PKCS1-v1_5' && key.asymmetricKeyType === 'rsa';
  if (!hash || !(ecdsa || rsa)) return undefined;
  const der = Buffer.from(csr.rawData);
  // ECDSA signatures in a CSR are the DER SEQUENCE of r and s, node's default encoding for EC keys.
  return verify(hash, der.subarray(info.start, info.end), key, Buffer.from(csr.signature));
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

  const info = requestInfoOf(Buffer.from(csr.rawData));
  if (!info) {
    throw new CsrRejected('notParsable', 'the CSR is not a DER-encoded PKCS#10 certificate request');
  }
  let spki: Buffer;
  try {
    spki = spkiOf(csr.publicKey.rawData);
  } catch (error) {
    // The request parses but its key does not: as unusable as a request that does not parse.
    throw new CsrRejected('notParsable', 'the CSR public key does not parse', { cause: error });
  }
  const key = describeKey(spki);

  let verified = false;
  try {
    verified = verifyWithNode(csr, info, key.key) ?? (await csr.verify());
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
    oldSpki = new X509Certificate(options.oldCertificatePem).publicKey.export({
      type: 'spki',
      format: 'der',
    });
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
