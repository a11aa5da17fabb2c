import { createPublicKey, type KeyObject, sign } from 'node:crypto';
import {
  bitString,
  explicit,
  nullValue,
  objectIdentifier,
  sequence,
  set,
  smallInteger,
  utf8String,
} from '../../lib/der/write.ts';

/**
 * A PKCS#10 certificate signing request (RFC 2986) built with node:crypto alone: the device parses
 * its key once and signs once. (Going through WebCrypto meant importing the same key three or four
 * times, each a full PEM/DER decode in OpenSSL, which made the CSR the costliest step of a simulated
 * device.)
 */

const OID_COMMON_NAME = '2.5.4.3';

interface SignatureScheme {
  readonly hash: 'sha256' | 'sha384';
  /** The AlgorithmIdentifier of the signature. */
  readonly algorithm: Buffer;
}

function schemeFor(key: KeyObject): SignatureScheme {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    // ecdsa-with-SHA256 / -SHA384 (RFC 5758): the parameters are absent.
    if (curve === 'prime256v1')
      return { hash: 'sha256', algorithm: sequence(objectIdentifier('1.2.840.10045.4.3.2')) };
    if (curve === 'secp384r1')
      return { hash: 'sha384', algorithm: sequence(objectIdentifier('1.2.840.10045.4.3.3')) };
    throw new RangeError(`unsupported EC curve ${curve ?? 'unknown'}`);
  }
  if (key.asymmetricKeyType === 'rsa') {
    // sha256WithRSAEncryption (RFC 4055): the parameters are NULL.
    return { hash: 'sha256', algorithm: sequence(objectIdentifier('1.2.840.113549.1.1.11'), nullValue()) };
  }
  throw new RangeError(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
}

/** The DER of a CSR for `privateKey` with subject `CN=<commonName>` and no attributes. */
export function createCsrDer(privateKey: KeyObject, commonName: string): Buffer {
  if (privateKey.type !== 'private') throw new TypeError('a CSR is signed with a private key');
  const scheme = schemeFor(privateKey);
  const subject = sequence(set(sequence(objectIdentifier(OID_COMMON_NAME), utf8String(commonName))));
  const subjectPublicKeyInfo = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const info = sequence(smallInteger(0), subject, subjectPublicKeyInfo, explicit(0, Buffer.alloc(0)));
  // ECDSA signatures in a certificate or CSR are the DER SEQUENCE of r and s (node's default encoding).
  const signature = sign(scheme.hash, info, privateKey);
  return sequence(info, scheme.algorithm, bitString(signature));
}

export function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
