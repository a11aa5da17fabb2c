import {
  bitString,
  explicit,
  objectIdentifier,
  sequence,
  set,
  unsignedInteger,
  utf8String,
} from '../../lib/der/write.ts';

/** ecdsa-with-SHA256, the signature algorithm of an EC P-256 request. */
export const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/** DER as PEM text, 64 characters a line. */
export const pemOf = (der: Buffer, label = 'CERTIFICATE REQUEST'): string =>
  `-----BEGIN ${label}-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;

/** One relative distinguished name: CN=`cn`. */
export const commonNameRdn = (cn: string): Buffer =>
  set(sequence(objectIdentifier('2.5.4.3'), utf8String(cn)));

/**
 * A PKCS#10 request info: version 0, the subject, the key, no attributes, then `trailing` (which
 * makes it invalid PKCS#10 when given).
 */
export const requestInfo = (subject: Buffer, spki: Uint8Array, trailing: Buffer = Buffer.alloc(0)): Buffer =>
  sequence(unsignedInteger(Buffer.from([0])), subject, spki, explicit(0, Buffer.alloc(0)), trailing);

/** A PKCS#10 request of `info` with the signature given (good or not), as PEM. */
export const requestPem = (info: Buffer, signature: Uint8Array, algorithm = ECDSA_WITH_SHA256): string =>
  pemOf(sequence(info, sequence(objectIdentifier(algorithm)), bitString(signature)));
