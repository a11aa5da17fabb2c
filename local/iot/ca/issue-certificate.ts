/**
 * Signs an end-entity (device) certificate: X.509 v3 with basic constraints, key usage, client-auth
 * extended key usage and key identifiers, ECDSA P-256 / SHA-256 by the issuing CA.
 */
import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import {
  bitString,
  booleanTrue,
  explicit,
  implicitPrimitive,
  objectIdentifier,
  octetString,
  sequence,
  set,
  time,
  unsignedInteger,
  utf8String,
} from '../../../lib/der/write.ts';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

export interface Issuer {
  /** DER of the issuer's subject Name, copied verbatim so the chain matches byte for byte. */
  readonly nameDer: Uint8Array;
  /** The issuer's subject key identifier. */
  readonly keyIdentifier: Uint8Array;
  /** The issuer's EC P-256 private key, loaded once. */
  readonly privateKey: KeyObject;
}

export interface EndEntity {
  /** The subject's SubjectPublicKeyInfo (DER), carried verbatim. */
  readonly spki: Uint8Array;
  /** The subject as DER (e.g. copied from a CSR) or a common name. */
  readonly subject: { readonly der: Uint8Array } | { readonly commonName: string };
  readonly notBefore: number;
  readonly notAfter: number;
}

export function commonNameDer(commonName: string): Buffer {
  return sequence(set(sequence(objectIdentifier(OID.commonName), utf8String(commonName))));
}

function extension(oid: string, critical: boolean, value: Uint8Array): Buffer {
  return critical
    ? sequence(objectIdentifier(oid), booleanTrue(), octetString(value))
    : sequence(objectIdentifier(oid), octetString(value));
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifierOf(spki: Buffer): Buffer {
  // SPKI = SEQUENCE { AlgorithmIdentifier, BIT STRING }; the key bits follow the unused-bits byte.
  const outer = headerAndLength(spki, 0);
  const algorithm = headerAndLength(spki, outer.start);
  const bits = headerAndLength(spki, algorithm.end);
  return createHash('sha1')
    .update(spki.subarray(bits.start + 1, bits.end))
    .digest();
}

/** Start of content and end of the TLV that begins at `offset` (definite lengths only). */
function headerAndLength(der: Buffer, offset: number): { start: number; end: number } {
  const first = der[offset + 1] ?? 0;
  if (first < 0x80) return { start: offset + 2, end: offset + 2 + first };
  const count = first & 0x7f;
  let len = 0;
  for (let i = 0; i < count; i++) len = len * 256 + (der[offset + 2 + i] ?? 0);
  return { start: offset + 2 + count, end: offset + 2 + count + len };
}

export function issueCertificate(issuer: Issuer, subject: EndEntity): Buffer {
  const spki = Buffer.from(subject.spki);
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  const subjectDer =
    'der' in subject.subject ? Buffer.from(subject.subject.der) : commonNameDer(subject.subject.commonName);
  // keyUsage digitalSignature (bit 0) and keyEncipherment (bit 2): 0xA0 with 5 unused bits.
  const keyUsage = Buffer.from([0x03, 0x02, 0x05, 0xa0]);
  const extensions = sequence(
    extension(OID.basicConstraints, true, sequence()),
    extension(OID.keyUsage, true, keyUsage),
    extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.clientAuth))),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifierOf(spki))),
    extension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, issuer.keyIdentifier))),
  );
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(serial),
    algorithm,
    Buffer.from(issuer.nameDer),
    sequence(time(subject.notBefore), time(subject.notAfter)),
    subjectDer,
    spki,
    explicit(3, extensions),
  );
  // node:crypto signs EC keys as the DER SEQUENCE { r, s } that X.509 carries.
  const signature = sign('sha256', tbs, issuer.privateKey);
  return sequence(tbs, algorithm, bitString(signature));
}
