/**
 * A small strict DER (X.690) reader: one tag-length-value at a time, over a Buffer, without copying.
 * Strict means what DER allows and nothing else: single-octet tags, definite lengths in their
 * shortest form, and every element inside the bounds of the one that holds it. Each failure is a
 * `DerFormatError` saying what was wrong and at which offset.
 */

export class DerFormatError extends Error {
  override readonly name = 'DerFormatError';

  constructor(
    message: string,
    /** Offset in the input where the bad element (or octet) begins. */
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

/** One element: its tag octet, where it begins, where its content begins, and where it ends. */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

export const TAG = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  teletexString: 0x14,
  ia5String: 0x16,
  bmpString: 0x1e,
  sequence: 0x30,
  set: 0x31,
} as const;

/** The constructed context-specific tag `[n]`. */
export const contextTag = (n: number): number => 0xa0 | n;

// Lengths above 2^32 - 1 cannot describe anything a Buffer of a request holds.
const MAX_LENGTH_OCTETS = 4;

/**
 * Reads the element that begins at `offset` and must end at or before `limit` (the end of the
 * element that holds it; the whole buffer by default).
 */
export function readTlv(der: Buffer, offset: number, limit: number = der.length): Tlv {
  if (offset >= limit)
    throw new DerFormatError('expected an element, found the end of its container', offset);
  const tag = der[offset] ?? 0;
  // High tag numbers (0x1f) name nothing a certificate request uses.
  if ((tag & 0x1f) === 0x1f)
    throw new DerFormatError(`tag 0x${hex(tag)} uses the high-tag-number form`, offset);
  const first = der[offset + 1];
  if (first === undefined || offset + 1 >= limit) throw new DerFormatError('length octet missing', offset);
  let contentStart = offset + 2;
  let length = first;
  if (first === 0x80) throw new DerFormatError('indefinite length (BER, not DER)', offset);
  if (first > 0x80) {
    const octets = first & 0x7f;
    if (octets > MAX_LENGTH_OCTETS) throw new DerFormatError(`length of ${octets} octets`, offset);
    if (contentStart + octets > limit) throw new DerFormatError('length octets run past the end', offset);
    if (der[contentStart] === 0) throw new DerFormatError('length with a leading zero octet', offset);
    length = 0;
    for (let i = 0; i < octets; i += 1) length = length * 256 + (der[contentStart + i] ?? 0);
    if (length < 0x80) throw new DerFormatError(`long-form length ${length} fits the short form`, offset);
    contentStart += octets;
  }
  const end = contentStart + length;
  if (end > limit) {
    throw new DerFormatError(
      `length ${length} runs ${end - limit} octet(s) past the end of its container`,
      offset,
    );
  }
  return { tag, start: offset, contentStart, end };
}

/** Reads an element and checks its tag; `what` names it in the error. */
export function readExpected(der: Buffer, offset: number, limit: number, tag: number, what: string): Tlv {
  const tlv = readTlv(der, offset, limit);
  if (tlv.tag !== tag) {
    throw new DerFormatError(`${what}: expected tag 0x${hex(tag)}, found 0x${hex(tlv.tag)}`, offset);
  }
  return tlv;
}

/** The elements inside a constructed element, which must fill its content exactly. */
export function readChildren(der: Buffer, parent: Tlv): Tlv[] {
  const children: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readTlv(der, at, parent.end);
    children.push(child);
    at = child.end;
  }
  return children;
}

export const contentOf = (der: Buffer, tlv: Tlv): Buffer => der.subarray(tlv.contentStart, tlv.end);
export const bytesOf = (der: Buffer, tlv: Tlv): Buffer => der.subarray(tlv.start, tlv.end);

/** An OBJECT IDENTIFIER's content in dotted form; every arc minimally encoded. */
export function decodeOid(der: Buffer, tlv: Tlv): string {
  if (tlv.tag !== TAG.oid)
    throw new DerFormatError(`expected an OBJECT IDENTIFIER, found 0x${hex(tlv.tag)}`, tlv.start);
  if (tlv.end === tlv.contentStart) throw new DerFormatError('empty OBJECT IDENTIFIER', tlv.start);
  const arcs: number[] = [];
  let value = 0;
  let fresh = true;
  for (let at = tlv.contentStart; at < tlv.end; at += 1) {
    const byte = der[at] ?? 0;
    if (fresh && byte === 0x80) throw new DerFormatError('OBJECT IDENTIFIER arc with a leading 0x80', at);
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw new DerFormatError('OBJECT IDENTIFIER arc too large', at);
    fresh = (byte & 0x80) === 0;
    if (fresh) {
      if (arcs.length === 0) {
        const top = value < 40 ? 0 : value < 80 ? 1 : 2;
        arcs.push(top, value - top * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
    }
  }
  if (!fresh) throw new DerFormatError('OBJECT IDENTIFIER ends inside an arc', tlv.end - 1);
  return arcs.join('.');
}

/** A non-negative INTEGER that fits a JavaScript number, minimally encoded. */
export function decodeSmallUnsigned(der: Buffer, tlv: Tlv, what: string): number {
  if (tlv.tag !== TAG.integer) {
    throw new DerFormatError(`${what}: expected an INTEGER, found 0x${hex(tlv.tag)}`, tlv.start);
  }
  const length = tlv.end - tlv.contentStart;
  const first = der[tlv.contentStart] ?? 0;
  if (length === 0) throw new DerFormatError(`${what}: empty INTEGER`, tlv.start);
  if (first & 0x80) throw new DerFormatError(`${what}: negative INTEGER`, tlv.start);
  if (length > 1 && first === 0 && ((der[tlv.contentStart + 1] ?? 0) & 0x80) === 0) {
    throw new DerFormatError(`${what}: INTEGER with a superfluous leading zero`, tlv.start);
  }
  if (length > 6) throw new DerFormatError(`${what}: INTEGER too large`, tlv.start);
  return der.readUIntBE(tlv.contentStart, length);
}

/** A NULL, which DER encodes as exactly `05 00`. */
export function isNull(tlv: Tlv): boolean {
  return tlv.tag === TAG.null && tlv.end === tlv.contentStart;
}

export function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
