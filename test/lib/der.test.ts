import * as asn1js from 'asn1js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DerFormatError,
  decodeOid,
  decodeSmallUnsigned,
  readChildren,
  readExpected,
  readTlv,
  TAG,
} from '../../lib/der/read.ts';
import {
  ecdsaSignatureToDer,
  objectIdentifier,
  sequence,
  smallInteger,
  time,
  tlv,
  unsignedInteger,
} from '../../lib/der/write.ts';

describe('DER writer (known answers)', () => {
  it('encodes RFC 5280 times: UTCTime through 2049, GeneralizedTime from 2050', () => {
    // Act / Assess
    expect(time(Date.UTC(2049, 11, 31, 23, 59, 59)).toString('hex')).toBe(
      `170d${Buffer.from('491231235959Z').toString('hex')}`,
    );
    expect(time(Date.UTC(2050, 0, 1, 0, 0, 0, 999)).toString('hex')).toBe(
      `180f${Buffer.from('20500101000000Z').toString('hex')}`,
    );
  });

  it('encodes integers and object identifiers as X.509 expects', () => {
    // Act / Assess
    expect(unsignedInteger(Buffer.from([0x00, 0x00, 0x7f])).toString('hex')).toBe('02017f');
    expect(unsignedInteger(Buffer.from([0x80])).toString('hex')).toBe('02020080');
    expect(objectIdentifier('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(ecdsaSignatureToDer(Buffer.from([0x80, 0x01, 0x00, 0x02])).toString('hex')).toBe(
      '30080203008001020102',
    );
  });
});

describe('DER writer: what a BER parser reads back', () => {
  it('writes object identifiers that a BER parser reads back', () => {
    const arc = fc.integer({ min: 0, max: 2 ** 31 - 1 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 39 }),
        fc.array(arc),
        (a, b, rest) => {
          // Act
          const dotted = [a, b, ...rest].join('.');
          const parsed = asn1js.fromBER(new Uint8Array(objectIdentifier(dotted)));

          // Assess
          expect(parsed.result).toBeInstanceOf(asn1js.ObjectIdentifier);
          expect((parsed.result as asn1js.ObjectIdentifier).valueBlock.toString()).toBe(dotted);
        },
      ),
    );
  });

  it('writes lengths in short and long form that a BER parser reads back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70_000 }), (length) => {
        // Act
        const encoded = tlv(0x04, Buffer.alloc(length, 7));
        const parsed = asn1js.fromBER(new Uint8Array(encoded));

        // Assess
        expect(parsed.offset).toBe(encoded.length);
        expect((parsed.result as asn1js.OctetString).valueBlock.valueHexView.length).toBe(length);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a malformed object identifier', () => {
    expect(() => objectIdentifier('1.x.3')).toThrow(/not an object identifier/);
    expect(() => objectIdentifier('7.1')).toThrow(/not an object identifier/);
  });
});

describe('DER reader', () => {
  it('reads back every element the writer writes, lengths and object identifiers alike', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 70_000 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 39 }),
        fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 })),
        (length, a, b, rest) => {
          // Prepare
          const dotted = [a, b, ...rest].join('.');
          const der = sequence(tlv(TAG.octetString, Buffer.alloc(length, 7)), objectIdentifier(dotted));

          // Act
          const outer = readExpected(der, 0, der.length, TAG.sequence, 'outer');
          const [octets, oid] = readChildren(der, outer);

          // Assess
          expect(outer.end).toBe(der.length);
          expect(octets && octets.end - octets.contentStart).toBe(length);
          expect(oid && decodeOid(der, oid)).toBe(dotted);
        },
      ),
      { numRuns: 50 },
    );
  });

  it.each([
    ['an indefinite length', '30800201000000', /indefinite length/],
    ['a long-form length the short form holds', '02810100', /fits the short form/],
    ['a length with a leading zero octet', '0482000100', /leading zero/],
    ['a length of more than four octets', '048500000000010000', /length of 5 octets/],
    ['a length past its container', '3005020100', /past the end of its container/],
    ['a child running past its parent', '3003020201', /past the end/],
    ['a high tag number', '1f0100', /high-tag-number/],
    ['a missing length octet', '30', /length octet missing/],
  ])('rejects %s, saying where', (_name, hex, message) => {
    // Prepare
    const der = Buffer.from(hex, 'hex');
    const readAll = (): void => {
      const outer = readTlv(der, 0);
      if (outer.tag & 0x20) readChildren(der, outer);
    };

    // Act / Assess
    expect(readAll).toThrow(DerFormatError);
    expect(readAll).toThrow(message);
    expect(readAll).toThrow(/at offset \d+/);
  });

  it('rejects non-minimal object identifier arcs and integers', () => {
    // Prepare
    const oid = Buffer.from('0603808001', 'hex');
    const paddedInteger = Buffer.from('02020001', 'hex');

    // Act / Assess
    expect(() => decodeOid(oid, readTlv(oid, 0))).toThrow(/leading 0x80/);
    expect(() => decodeSmallUnsigned(paddedInteger, readTlv(paddedInteger, 0), 'n')).toThrow(/leading zero/);
    expect(decodeSmallUnsigned(smallInteger(5), readTlv(smallInteger(5), 0), 'n')).toBe(5);
  });

  it('throws nothing but DerFormatError for arbitrary octets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        // Prepare
        const der = Buffer.from(bytes);
        const walk = (offset: number, limit: number, depth: number): void => {
          for (let at = offset; at < limit; ) {
            const element = readTlv(der, at, limit);
            if (element.tag & 0x20 && depth < 8) walk(element.contentStart, element.end, depth + 1);
            if (element.tag === TAG.oid && element.end > element.contentStart) decodeOid(der, element);
            at = element.end;
          }
        };

        // Act / Assess
        try {
          walk(0, der.length, 0);
        } catch (error) {
          expect(error).toBeInstanceOf(DerFormatError);
        }
      }),
    );
  });
});
