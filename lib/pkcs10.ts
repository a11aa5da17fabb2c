/**
 * PKCS#10 certificate requests (RFC 2986), read with the strict DER reader and verified with
 * node:crypto. Every rotation parses one in the issue function and one in CreateCertificateFromCsr.
 *
 *   CertificationRequest ::= SEQUENCE {
 *     certificationRequestInfo SEQUENCE {
 *       version INTEGER { v1(0) }, subject Name, subjectPKInfo SubjectPublicKeyInfo,
 *       attributes [0] IMPLICIT SET OF Attribute },
 *     signatureAlgorithm AlgorithmIdentifier,
 *     signature BIT STRING }
 */
import { constants, type KeyObject, verify } from 'node:crypto';
import {
  bytesOf,
  contextTag,
  DerFormatError,
  decodeOid,
  decodeSmallUnsigned,
  hex,
  isNull,
  readChildren,
  readExpected,
  readTlv,
  TAG,
  type Tlv,
} from './der/read.ts';

export class Pkcs10ParseError extends Error {
  override readonly name = 'Pkcs10ParseError';
}

export interface AlgorithmIdentifier {
  readonly oid: string;
  /** The parameters' DER (one element), absent when the identifier has none. */
  readonly parameters?: Buffer;
}

/** The parts of a request; the buffers are views into the DER that was parsed, not copies. */
export interface Pkcs10Request {
  /** The certificationRequestInfo's DER: what the signature covers. */
  readonly requestInfo: Buffer;
  /** The subject Name's DER, as an issued certificate copies it. */
  readonly subject: Buffer;
  /** Every commonName value of the subject, in order (a subject may carry several). */
  readonly commonNames: readonly string[];
  /** The SubjectPublicKeyInfo's DER. */
  readonly subjectPublicKeyInfo: Buffer;
  /** The OID of the subject public key's algorithm (rsaEncryption, id-ecPublicKey...). */
  readonly publicKeyAlgorithm: string;
  /** The attributes' DER, the `[0]` element whole. */
  readonly attributes: Buffer;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** The signature's bytes (the BIT STRING's content after its unused-bits octet). */
  readonly signature: Buffer;
}

const OID_COMMON_NAME = '2.5.4.3';

/** Parses a DER request; anything that is not one, strictly, is a `Pkcs10ParseError`. */
export function parsePkcs10(der: Buffer): Pkcs10Request {
  try {
    return readRequest(der);
  } catch (error) {
    if (error instanceof DerFormatError || error instanceof Pkcs10ParseError) {
      throw new Pkcs10ParseError(`not a DER PKCS#10 request: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

const PEM_LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
const PEM_BLOCK = /^-----BEGIN ([A-Z ]+)-----\r?\n([A-Za-z0-9+/=\s]*?)-----END ([A-Z ]+)-----$/;

/** The DER inside exactly one PEM `CERTIFICATE REQUEST` (or OpenSSL's `NEW CERTIFICATE REQUEST`) block. */
export function pkcs10DerFromPem(pem: string): Buffer {
  const match = PEM_BLOCK.exec(pem.trim());
  const [, label, body, endLabel] = match ?? [];
  if (label === undefined || body === undefined || endLabel === undefined) {
    throw new Pkcs10ParseError('not one PEM block (-----BEGIN CERTIFICATE REQUEST----- ... -----END ...)');
  }
  if (!PEM_LABELS.has(label)) throw new Pkcs10ParseError(`PEM label '${label}' is not CERTIFICATE REQUEST`);
  if (endLabel !== label) throw new Pkcs10ParseError(`PEM block begins '${label}' but ends '${endLabel}'`);
  const base64 = body.replace(/\s+/g, '');
  if (base64.length === 0 || base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw new Pkcs10ParseError('PEM body is not base64');
  }
  return Buffer.from(base64, 'base64');
}

export function parsePkcs10Pem(pem: string): Pkcs10Request {
  return parsePkcs10(pkcs10DerFromPem(pem));
}

function readRequest(der: Buffer): Pkcs10Request {
  const outer = readExpected(der, 0, der.length, TAG.sequence, 'CertificationRequest');
  if (outer.end !== der.length) {
    throw new DerFormatError(`${der.length - outer.end} trailing octet(s) after the request`, outer.end);
  }
  const info = readExpected(der, outer.contentStart, outer.end, TAG.sequence, 'certificationRequestInfo');
  const algorithm = readAlgorithmIdentifier(der, info.end, outer.end, 'signatureAlgorithm');
  const signature = readExpected(der, algorithm.tlv.end, outer.end, TAG.bitString, 'signature');
  if (signature.end !== outer.end) {
    throw new DerFormatError('trailing element after the signature', signature.end);
  }
  if (signature.end - signature.contentStart < 2 || der[signature.contentStart] !== 0) {
    throw new DerFormatError(
      'signature: a BIT STRING with no unused bits and at least one octet',
      signature.start,
    );
  }

  const version = readExpected(der, info.contentStart, info.end, TAG.integer, 'version');
  if (version.end - version.contentStart !== 1 || der[version.contentStart] !== 0) {
    throw new DerFormatError('version: expected INTEGER 0 (v1)', version.start);
  }
  const subject = readExpected(der, version.end, info.end, TAG.sequence, 'subject');
  const commonNames = readName(der, subject);
  const spki = readExpected(der, subject.end, info.end, TAG.sequence, 'subjectPKInfo');
  const publicKeyAlgorithm = readSubjectPublicKeyInfo(der, spki);
  const attributes = readExpected(der, spki.end, info.end, contextTag(0), 'attributes');
  readAttributes(der, attributes);
  if (attributes.end !== info.end) {
    throw new DerFormatError('trailing element in certificationRequestInfo', attributes.end);
  }

  return {
    requestInfo: bytesOf(der, info),
    subject: bytesOf(der, subject),
    commonNames,
    subjectPublicKeyInfo: bytesOf(der, spki),
    publicKeyAlgorithm,
    attributes: bytesOf(der, attributes),
    signatureAlgorithm: algorithm.identifier,
    signature: der.subarray(signature.contentStart + 1, signature.end),
  };
}

function readAlgorithmIdentifier(
  der: Buffer,
  offset: number,
  limit: number,
  what: string,
): { tlv: Tlv; identifier: AlgorithmIdentifier } {
  const tlv = readExpected(der, offset, limit, TAG.sequence, what);
  const parts = readChildren(der, tlv);
  const [oid, parameters, extra] = parts;
  if (oid === undefined) throw new DerFormatError(`${what}: empty AlgorithmIdentifier`, tlv.start);
  if (extra !== undefined) throw new DerFormatError(`${what}: more than OID and parameters`, extra.start);
  const identifier: AlgorithmIdentifier = {
    oid: decodeOid(der, oid),
    ...(parameters === undefined ? {} : { parameters: bytesOf(der, parameters) }),
  };
  return { tlv, identifier };
}

/** Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY }; returns the CN values. */
function readName(der: Buffer, name: Tlv): string[] {
  const commonNames: string[] = [];
  for (const rdn of readChildren(der, name)) {
    if (rdn.tag !== TAG.set) throw new DerFormatError('subject: expected a SET (RDN)', rdn.start);
    const attributes = readChildren(der, rdn);
    if (attributes.length === 0) throw new DerFormatError('subject: empty RDN', rdn.start);
    for (const attribute of attributes) {
      if (attribute.tag !== TAG.sequence) {
        throw new DerFormatError('subject: expected a SEQUENCE (AttributeTypeAndValue)', attribute.start);
      }
      const [type, value, extra] = readChildren(der, attribute);
      if (type === undefined || value === undefined || extra !== undefined) {
        throw new DerFormatError(
          'subject: AttributeTypeAndValue is not a type and one value',
          attribute.start,
        );
      }
      if (decodeOid(der, type) === OID_COMMON_NAME) commonNames.push(decodeDirectoryString(der, value));
    }
  }
  return commonNames;
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeDirectoryString(der: Buffer, value: Tlv): string {
  const content = der.subarray(value.contentStart, value.end);
  switch (value.tag) {
    case TAG.utf8String:
      try {
        return UTF8.decode(content);
      } catch {
        throw new DerFormatError('subject: commonName is not valid UTF-8', value.start);
      }
    case TAG.printableString: {
      const text = content.toString('latin1');
      if (!PRINTABLE.test(text)) {
        throw new DerFormatError('subject: commonName has a character PrintableString excludes', value.start);
      }
      return text;
    }
    case TAG.ia5String:
      if (content.some((byte) => byte > 0x7f)) {
        throw new DerFormatError('subject: commonName IA5String has a non-ASCII octet', value.start);
      }
      return content.toString('latin1');
    case TAG.teletexString:
      return content.toString('latin1');
    case TAG.bmpString: {
      if (content.length % 2 !== 0) throw new DerFormatError('subject: odd-length BMPString', value.start);
      const swapped = Buffer.from(content).swap16();
      return swapped.toString('utf16le');
    }
    default:
      throw new DerFormatError(
        `subject: commonName of unsupported string type 0x${hex(value.tag)}`,
        value.start,
      );
  }
}

/** SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }. */
function readSubjectPublicKeyInfo(der: Buffer, spki: Tlv): string {
  const algorithm = readAlgorithmIdentifier(der, spki.contentStart, spki.end, 'subjectPKInfo algorithm');
  const key = readExpected(der, algorithm.tlv.end, spki.end, TAG.bitString, 'subjectPublicKey');
  if (key.end !== spki.end) throw new DerFormatError('trailing element in subjectPKInfo', key.end);
  if (key.end - key.contentStart < 2 || der[key.contentStart] !== 0) {
    throw new DerFormatError(
      'subjectPublicKey: a BIT STRING with no unused bits and at least one octet',
      key.start,
    );
  }
  return algorithm.identifier.oid;
}

/** Attributes ::= [0] IMPLICIT SET OF SEQUENCE { type OID, values SET SIZE (1..MAX) OF ANY }. */
function readAttributes(der: Buffer, attributes: Tlv): void {
  for (const attribute of readChildren(der, attributes)) {
    if (attribute.tag !== TAG.sequence)
      throw new DerFormatError('attributes: expected a SEQUENCE', attribute.start);
    const [type, values, extra] = readChildren(der, attribute);
    if (type === undefined || values === undefined || extra !== undefined) {
      throw new DerFormatError('attributes: Attribute is not a type and a SET of values', attribute.start);
    }
    decodeOid(der, type);
    if (values.tag !== TAG.set) throw new DerFormatError('attributes: values are not a SET', values.start);
    if (readChildren(der, values).length === 0) {
      throw new DerFormatError('attributes: Attribute with no value', values.start);
    }
  }
}

// ---- signature verification ----

type NodeHash = 'sha256' | 'sha384' | 'sha512';

interface SignatureScheme {
  readonly kind: 'ecdsa' | 'pkcs1' | 'pss';
  readonly hash: NodeHash;
  readonly saltLength?: number;
}

export type SignatureVerdict =
  | { readonly verdict: 'verified' }
  /** The signature does not verify with the request's key; `cause` when node:crypto threw. */
  | { readonly verdict: 'badSignature'; readonly cause?: unknown }
  /** An algorithm (or algorithm and key pairing) this reader does not verify. */
  | { readonly verdict: 'unsupportedAlgorithm'; readonly reason: string };

const ECDSA: Readonly<Record<string, NodeHash>> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
const RSA_PKCS1: Readonly<Record<string, NodeHash>> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};
const DIGESTS: Readonly<Record<string, NodeHash>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';
const OID_MGF1 = '1.2.840.113549.1.1.8';

/** Which key types each scheme verifies with. */
const KEY_TYPES: Readonly<Record<SignatureScheme['kind'], readonly string[]>> = {
  ecdsa: ['ec'],
  pkcs1: ['rsa'],
  pss: ['rsa', 'rsa-pss'],
};

/**
 * Checks the request's signature over its request info with `key` (the request's own public key,
 * parsed once by the caller, who also needs it for its key checks).
 */
export function verifyPkcs10Signature(request: Pkcs10Request, key: KeyObject): SignatureVerdict {
  const scheme = signatureSchemeOf(request.signatureAlgorithm);
  if (typeof scheme === 'string') return { verdict: 'unsupportedAlgorithm', reason: scheme };
  if (!KEY_TYPES[scheme.kind].includes(key.asymmetricKeyType ?? '')) {
    return {
      verdict: 'unsupportedAlgorithm',
      reason: `a ${scheme.kind} signature cannot come from a ${key.asymmetricKeyType ?? 'unknown'} key`,
    };
  }
  try {
    // ECDSA signatures are the DER SEQUENCE { r, s }: node's default encoding for EC keys.
    const verified =
      scheme.kind === 'pss'
        ? verify(
            scheme.hash,
            request.requestInfo,
            { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength ?? 20 },
            request.signature,
          )
        : verify(scheme.hash, request.requestInfo, key, request.signature);
    return verified ? { verdict: 'verified' } : { verdict: 'badSignature' };
  } catch (error) {
    return { verdict: 'badSignature', cause: error };
  }
}

/** The scheme of a signature algorithm, or why it is not one this reader verifies. */
function signatureSchemeOf(algorithm: AlgorithmIdentifier): SignatureScheme | string {
  const ecdsa = ECDSA[algorithm.oid];
  if (ecdsa !== undefined) {
    // RFC 5758: the parameters of ecdsa-with-SHA2 are absent.
    return algorithm.parameters === undefined
      ? { kind: 'ecdsa', hash: ecdsa }
      : `${algorithm.oid} with parameters (they must be absent)`;
  }
  const pkcs1 = RSA_PKCS1[algorithm.oid];
  if (pkcs1 !== undefined) {
    // RFC 4055: NULL parameters; some encoders leave them out, which changes nothing signed.
    return algorithm.parameters === undefined || isNullDer(algorithm.parameters)
      ? { kind: 'pkcs1', hash: pkcs1 }
      : `${algorithm.oid} with parameters other than NULL`;
  }
  if (algorithm.oid === OID_RSASSA_PSS) return pssSchemeOf(algorithm.parameters);
  return `signature algorithm ${algorithm.oid} is not ECDSA, RSA PKCS#1 v1.5 or RSASSA-PSS with SHA-2`;
}

const isNullDer = (der: Buffer): boolean => der.length === 2 && der[0] === TAG.null && der[1] === 0;

/**
 * RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] DEFAULT sha1, maskGenAlgorithm [1] DEFAULT
 * mgf1SHA1, saltLength [2] INTEGER DEFAULT 20, trailerField [3] INTEGER DEFAULT 1 } (RFC 4055).
 * node:crypto's verify takes one hash for the message and MGF1, so they must be the same SHA-2.
 */
function pssSchemeOf(parameters: Buffer | undefined): SignatureScheme | string {
  if (parameters === undefined) return 'RSASSA-PSS without parameters (SHA-1 defaults)';
  try {
    const params = readTlv(parameters, 0);
    if (params.tag !== TAG.sequence || params.end !== parameters.length) {
      return 'RSASSA-PSS parameters are not one SEQUENCE';
    }
    let hash: string | undefined;
    let mgfHash: string | undefined;
    let saltLength = 20;
    let lastField = -1;
    for (const field of readChildren(parameters, params)) {
      const number = field.tag - contextTag(0);
      if (number < 0 || number > 3 || number <= lastField) return 'RSASSA-PSS parameters out of order';
      lastField = number;
      const [inner, extra] = readChildren(parameters, field);
      if (inner === undefined || extra !== undefined) return 'RSASSA-PSS parameter is not one element';
      if (number === 0) hash = digestOf(parameters, inner);
      if (number === 1) mgfHash = mgf1DigestOf(parameters, inner);
      if (number === 2) saltLength = decodeSmallUnsigned(parameters, inner, 'RSASSA-PSS saltLength');
      if (number === 3 && decodeSmallUnsigned(parameters, inner, 'RSASSA-PSS trailerField') !== 1) {
        return 'RSASSA-PSS trailerField other than 1';
      }
    }
    const nodeHash = hash === undefined ? undefined : DIGESTS[hash];
    if (nodeHash === undefined) return `RSASSA-PSS with hash ${hash ?? 'SHA-1 (default)'}`;
    if (mgfHash !== hash)
      return `RSASSA-PSS with MGF1 hash ${mgfHash ?? 'SHA-1 (default)'} unlike its hash ${hash}`;
    return { kind: 'pss', hash: nodeHash, saltLength };
  } catch (error) {
    if (error instanceof DerFormatError) return `RSASSA-PSS parameters do not parse: ${error.message}`;
    throw error;
  }
}

/** A hash AlgorithmIdentifier's OID; its parameters absent or NULL (RFC 4055 allows both). */
function digestOf(der: Buffer, identifier: Tlv): string {
  if (identifier.tag !== TAG.sequence) throw new DerFormatError('hash AlgorithmIdentifier', identifier.start);
  const [oid, parameters, extra] = readChildren(der, identifier);
  if (oid === undefined || extra !== undefined || (parameters !== undefined && !isNull(parameters))) {
    throw new DerFormatError('hash AlgorithmIdentifier is not an OID and NULL parameters', identifier.start);
  }
  return decodeOid(der, oid);
}

function mgf1DigestOf(der: Buffer, identifier: Tlv): string {
  if (identifier.tag !== TAG.sequence) throw new DerFormatError('maskGenAlgorithm', identifier.start);
  const [oid, hash, extra] = readChildren(der, identifier);
  if (oid === undefined || hash === undefined || extra !== undefined || decodeOid(der, oid) !== OID_MGF1) {
    throw new DerFormatError('maskGenAlgorithm is not MGF1 with a hash', identifier.start);
  }
  return digestOf(der, hash);
}
