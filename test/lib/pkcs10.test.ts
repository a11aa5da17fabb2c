import { execFileSync } from 'node:child_process';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bitString, objectIdentifier, sequence } from '../../lib/der/write.ts';
import {
  Pkcs10ParseError,
  type Pkcs10Request,
  parsePkcs10,
  parsePkcs10Pem,
  pkcs10DerFromPem,
  verifyPkcs10Signature,
} from '../../lib/pkcs10.ts';

const KEYS = new URL('../fixtures/csr/keys/', import.meta.url).pathname;

/** One request OpenSSL writes at test time, and what it must read as. */
interface Vector {
  readonly name: string;
  readonly key: () => string;
  readonly args: readonly string[];
  readonly config?: string;
  readonly commonNames: readonly string[];
  readonly signatureOid: string;
  readonly withParameters: boolean;
}

const SEVERAL_RDNS = `[req]
distinguished_name = dn
attributes = attrs
req_extensions = ext
prompt = no
[dn]
C = US
O = Acme Devices
OU = Fleet
0.CN = first-cn
1.CN = second-cn
[attrs]
challengePassword = s3cret-pass
[ext]
subjectAltName = DNS:thing.example
`;

// OpenSSL's "default" mask writes PrintableString, TeletexString or BMPString, whichever fits.
const STRING_TYPES = `[req]
distinguished_name = dn
prompt = no
string_mask = default
utf8 = yes
[dn]
0.CN = plain-name
1.CN = Zürich
2.CN = 東京
`;

let dir: string;
const run = (args: readonly string[]): string =>
  execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const VECTORS: readonly Vector[] = [
  {
    name: 'EC P-256, ecdsa-with-SHA256, four RDNs with two CNs, challengePassword and extensionRequest',
    key: () => join(KEYS, 'ec-p256.key.pem'),
    args: ['-sha256'],
    config: SEVERAL_RDNS,
    commonNames: ['first-cn', 'second-cn'],
    signatureOid: '1.2.840.10045.4.3.2',
    withParameters: false,
  },
  {
    name: 'EC P-384, ecdsa-with-SHA384, CNs as PrintableString, TeletexString and BMPString',
    key: () => join(KEYS, 'ec-p384.key.pem'),
    args: ['-sha384'],
    config: STRING_TYPES,
    commonNames: ['plain-name', 'Zürich', '東京'],
    signatureOid: '1.2.840.10045.4.3.3',
    withParameters: false,
  },
  {
    name: 'RSA 2048, sha512WithRSAEncryption',
    key: () => join(KEYS, 'rsa-2048.key.pem'),
    args: ['-sha512', '-subj', '/O=Acme/CN=rsa-thing'],
    commonNames: ['rsa-thing'],
    signatureOid: '1.2.840.113549.1.1.13',
    withParameters: true,
  },
  {
    name: 'RSA 2048, RSASSA-PSS with SHA-256 and a 32-octet salt',
    key: () => join(KEYS, 'rsa-2048.key.pem'),
    args: [
      '-sha256',
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      'rsa_pss_saltlen:32',
      '-subj',
      '/CN=pss-thing',
    ],
    commonNames: ['pss-thing'],
    signatureOid: '1.2.840.113549.1.1.10',
    withParameters: true,
  },
  {
    name: 'an RSA-PSS key, RSASSA-PSS with SHA-384',
    key: () => join(dir, 'rsa-pss.key.pem'),
    args: ['-sha384', '-subj', '/CN=pss-key-thing'],
    commonNames: ['pss-key-thing'],
    signatureOid: '1.2.840.113549.1.1.10',
    withParameters: true,
  },
];

interface Made {
  readonly pem: string;
  readonly der: Buffer;
  readonly spki: Buffer;
  readonly oracle: Oracle;
}

/** Where OpenSSL's own parser (`asn1parse`) finds each part: the independent answer. */
interface Oracle {
  readonly requestInfo: Buffer;
  readonly subject: Buffer;
  readonly spki: Buffer;
  readonly attributes: Buffer;
  readonly algorithmParameters?: Buffer;
}

interface Element {
  readonly offset: number;
  readonly depth: number;
  readonly end: number;
}

function oracleOf(derFile: string, der: Buffer): Oracle {
  const elements: Element[] = [];
  for (const line of run(['asn1parse', '-inform', 'DER', '-in', derFile]).split('\n')) {
    const match = /^\s*(\d+):d=(\d+)\s+hl=\s*(\d+)\s+l=\s*(\d+)/.exec(line);
    if (!match) continue;
    const [offset, depth, header, length] = match.slice(1).map(Number);
    if (offset === undefined || depth === undefined || header === undefined || length === undefined) continue;
    elements.push({ offset, depth, end: offset + header + length });
  }
  const within = (parent: Element, depth: number): Element[] =>
    elements.filter((e) => e.depth === depth && e.offset >= parent.offset && e.end <= parent.end);
  const [info, algorithm, signature] = elements.filter((e) => e.depth === 1);
  if (!info || !algorithm || !signature) throw new Error('asn1parse found no request');
  const [, subject, spki, attributes] = within(info, 2);
  const [, parameters] = within(algorithm, 2);
  if (!subject || !spki || !attributes) throw new Error('asn1parse found no request info');
  const slice = (e: Element): Buffer => der.subarray(e.offset, e.end);
  return {
    requestInfo: slice(info),
    subject: slice(subject),
    spki: slice(spki),
    attributes: slice(attributes),
    ...(parameters ? { algorithmParameters: slice(parameters) } : {}),
  };
}

function make(vector: Vector, index: number): Made {
  const pemFile = join(dir, `v${index}.csr.pem`);
  const derFile = join(dir, `v${index}.csr.der`);
  const args = ['req', '-new', '-key', vector.key(), '-out', pemFile, ...vector.args];
  if (vector.config !== undefined) {
    const config = join(dir, `v${index}.cnf`);
    writeFileSync(config, vector.config);
    args.push('-config', config);
  }
  run(args);
  run(['req', '-in', pemFile, '-outform', 'DER', '-out', derFile]);
  const der = readFileSync(derFile);
  const spki = createPublicKey(run(['req', '-in', pemFile, '-noout', '-pubkey'])).export({
    type: 'spki',
    format: 'der',
  });
  return { pem: readFileSync(pemFile, 'utf8'), der, spki, oracle: oracleOf(derFile, der) };
}

const made: Made[] = [];

const keyOf = (spki: Buffer): KeyObject => createPublicKey({ key: spki, format: 'der', type: 'spki' });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'recert-pkcs10-'));
  run([
    'genpkey',
    '-algorithm',
    'RSA-PSS',
    '-pkeyopt',
    'rsa_keygen_bits:2048',
    '-out',
    join(dir, 'rsa-pss.key.pem'),
  ]);
  VECTORS.forEach((vector, index) => {
    made.push(make(vector, index));
  });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const madeAt = (index: number): Made => {
  const m = made[index];
  if (!m) throw new Error(`vector ${index} was not made`);
  return m;
};

/** The signature's octets as asn1parse locates the BIT STRING: its content after the unused-bits octet. */
function signatureOf(der: Buffer): Buffer {
  const lines = run(['asn1parse', '-inform', 'DER', '-in', writeTemp(der)]).split('\n');
  const last = lines.filter((l) => /d=1 .*BIT STRING/.test(l)).at(-1) ?? '';
  const [, offset, header, length] = /^\s*(\d+):d=1\s+hl=\s*(\d+)\s+l=\s*(\d+)/.exec(last) ?? [];
  const start = Number(offset) + Number(header);
  return der.subarray(start + 1, start + Number(length));
}

function writeTemp(der: Buffer): string {
  const file = join(dir, `tmp-${made.length}-${der.length}.der`);
  writeFileSync(file, der);
  return file;
}

describe('PKCS#10 requests OpenSSL writes (known answers)', () => {
  VECTORS.forEach((vector, index) => {
    it(`reads every field of ${vector.name}`, () => {
      // Prepare
      const m = madeAt(index);

      // Act
      const request = parsePkcs10Pem(m.pem);

      // Assess
      expect(request.requestInfo.equals(m.oracle.requestInfo)).toBe(true);
      expect(request.subject.equals(m.oracle.subject)).toBe(true);
      expect(request.commonNames).toEqual(vector.commonNames);
      expect(request.subjectPublicKeyInfo.equals(m.spki)).toBe(true);
      expect(request.subjectPublicKeyInfo.equals(m.oracle.spki)).toBe(true);
      expect(request.attributes.equals(m.oracle.attributes)).toBe(true);
      expect(request.signatureAlgorithm.oid).toBe(vector.signatureOid);
      expect(request.signatureAlgorithm.parameters?.toString('hex')).toBe(
        vector.withParameters ? m.oracle.algorithmParameters?.toString('hex') : undefined,
      );
      expect(request.signature.equals(signatureOf(m.der))).toBe(true);
      expect(verifyPkcs10Signature(request, keyOf(m.spki)).verdict).toBe('verified');
    });
  });

  it('reads the key type from the SubjectPublicKeyInfo', () => {
    expect(parsePkcs10(madeAt(0).der).publicKeyAlgorithm).toBe('1.2.840.10045.2.1');
    expect(parsePkcs10(madeAt(2).der).publicKeyAlgorithm).toBe('1.2.840.113549.1.1.1');
    expect(parsePkcs10(madeAt(4).der).publicKeyAlgorithm).toBe('1.2.840.113549.1.1.10');
  });

  it('reads the NEW CERTIFICATE REQUEST label OpenSSL writes with -newhdr as the same request', () => {
    // Prepare
    const file = join(dir, 'newhdr.csr.pem');
    run(['req', '-in', join(dir, 'v0.csr.pem'), '-newhdr', '-out', file]);
    const pem = readFileSync(file, 'utf8');

    // Act
    const request = parsePkcs10Pem(pem);

    // Assess
    expect(pem).toMatch(/^-----BEGIN NEW CERTIFICATE REQUEST-----/);
    expect(request.requestInfo.equals(madeAt(0).oracle.requestInfo)).toBe(true);
  });

  it('does not verify a signature under another request key or another hash', () => {
    // Prepare
    const ec = parsePkcs10(madeAt(0).der);
    const pss = parsePkcs10(madeAt(3).der);

    // Act / Assess
    expect(verifyPkcs10Signature(ec, keyOf(madeAt(1).spki)).verdict).toBe('badSignature');
    expect(
      verifyPkcs10Signature(
        { ...ec, signatureAlgorithm: { oid: '1.2.840.10045.4.3.3' } },
        keyOf(madeAt(0).spki),
      ).verdict,
    ).toBe('badSignature');
    expect(verifyPkcs10Signature(pss, keyOf(madeAt(0).spki)).verdict).toBe('unsupportedAlgorithm');
  });
});

describe('PKCS#10 signature algorithms it does not verify', () => {
  const withAlgorithm = (request: Pkcs10Request, oid: string, parameters?: string): Pkcs10Request => ({
    ...request,
    signatureAlgorithm: {
      oid,
      ...(parameters === undefined ? {} : { parameters: Buffer.from(parameters, 'hex') }),
    },
  });

  it.each([
    ['ecdsa-with-SHA1', 0, '1.2.840.10045.4.1', undefined],
    ['ecdsa-with-SHA256 with NULL parameters', 0, '1.2.840.10045.4.3.2', '0500'],
    ['an unknown OID', 0, '1.2.3.4', undefined],
    ['sha1WithRSAEncryption', 2, '1.2.840.113549.1.1.5', '0500'],
    ['sha256WithRSAEncryption with a non-NULL parameter', 2, '1.2.840.113549.1.1.11', '0400'],
    ['RSASSA-PSS without parameters (SHA-1)', 3, '1.2.840.113549.1.1.10', undefined],
    ['ecdsa-with-SHA256 over an RSA key', 2, '1.2.840.10045.4.3.2', undefined],
    ['sha256WithRSAEncryption over an EC key', 0, '1.2.840.113549.1.1.11', '0500'],
  ])('names %s an unsupported algorithm', (_name, index, oid, parameters) => {
    // Prepare
    const request = withAlgorithm(parsePkcs10(madeAt(index).der), oid, parameters);

    // Act
    const check = verifyPkcs10Signature(request, keyOf(madeAt(index).spki));

    // Assess
    expect(check.verdict).toBe('unsupportedAlgorithm');
  });

  it('names RSASSA-PSS with an MGF1 hash unlike its hash an unsupported algorithm', () => {
    // Prepare: SHA-256 for the message, MGF1 with SHA-384.
    const params =
      '3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402020500a203020120';
    const request = withAlgorithm(parsePkcs10(madeAt(3).der), '1.2.840.113549.1.1.10', params);

    // Act
    const check = verifyPkcs10Signature(request, keyOf(madeAt(3).spki));

    // Assess
    expect(check).toMatchObject({ verdict: 'unsupportedAlgorithm', reason: expect.stringMatching(/MGF1/) });
  });
});

describe('PKCS#10 strict DER', () => {
  const p256 = (): Buffer => Buffer.from(madeAt(0).der);

  it.each([
    [
      'an indefinite length',
      (d: Buffer) =>
        Buffer.concat([d.subarray(0, 1), Buffer.from([0x80]), d.subarray(4), Buffer.from([0, 0])]),
      /indefinite/,
    ],
    ['a trailing octet after the request', (d: Buffer) => Buffer.concat([d, Buffer.from([0])]), /trailing/],
    ['a version other than 0', (d: Buffer) => withByte(d, versionAt(d), 1), /version/],
    ['unused bits in the signature', (d: Buffer) => withByte(d, unusedBitsAt(d), 1), /unused bits/],
    ['a tag in the high-tag-number form', (d: Buffer) => withByte(d, 0, 0x3f), /high-tag-number/],
  ])('rejects %s, saying where', (_name, change, message) => {
    // Act / Assess
    expect(() => parsePkcs10(change(p256()))).toThrow(Pkcs10ParseError);
    expect(() => parsePkcs10(change(p256()))).toThrow(message);
    expect(() => parsePkcs10(change(p256()))).toThrow(/at offset \d+/);
  });

  it('rejects a long-form length that the short form would hold, inside lengths that add up', () => {
    // Prepare: the version INTEGER 0 written 02 81 01 00 instead of 02 01 00, the request rebuilt
    // around it so that every enclosing length is right.
    const request = parsePkcs10(p256());
    const afterVersion = contentOfTlv(request.requestInfo).subarray(3);
    const changed = sequence(
      sequence(Buffer.from([0x02, 0x81, 0x01, 0x00]), afterVersion),
      sequence(objectIdentifier(request.signatureAlgorithm.oid)),
      bitString(request.signature),
    );

    // Act / Assess
    expect(() => parsePkcs10(changed)).toThrow(/version.*fits the short form|fits the short form/);
    expect(() => parsePkcs10(changed)).toThrow(Pkcs10ParseError);
  });

  it.each([
    ['no PEM at all', 'hello', /PEM block/],
    ['another label', '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n', /label/],
    [
      'an END label unlike the BEGIN',
      '-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END NEW CERTIFICATE REQUEST-----\n',
      /ends/,
    ],
    [
      'a body that is not base64',
      '-----BEGIN CERTIFICATE REQUEST-----\nMA*A\n-----END CERTIFICATE REQUEST-----\n',
      /PEM block|base64/,
    ],
    ['two blocks', () => `${madeAt(0).pem}${madeAt(1).pem}`, /PEM block|base64/],
  ])('rejects PEM with %s', (_name, input, message) => {
    const pem = typeof input === 'function' ? input() : input;
    expect(() => pkcs10DerFromPem(pem)).toThrow(Pkcs10ParseError);
    expect(() => pkcs10DerFromPem(pem)).toThrow(message);
  });
});

/** The content of the DER element `der` is. */
function contentOfTlv(der: Buffer): Buffer {
  const first = der[1] ?? 0;
  return der.subarray(first < 0x80 ? 2 : 2 + (first & 0x7f));
}

function withByte(der: Buffer, index: number, value: number): Buffer {
  const changed = Buffer.from(der);
  changed[index] = value;
  return changed;
}

/** The content octet of the version INTEGER (outer and info headers, then 02 01). */
function versionAt(der: Buffer): number {
  const header = (at: number): number => {
    const first = der[at + 1] ?? 0;
    return first < 0x80 ? 2 : 2 + (first & 0x7f);
  };
  const info = header(0);
  return info + header(info) + 2;
}

function unusedBitsAt(der: Buffer): number {
  const signature = signatureOf(der);
  return der.length - signature.length - 1;
}

describe('PKCS#10 properties', () => {
  const outcomeOf = (der: Buffer): string => {
    let request: Pkcs10Request;
    try {
      request = parsePkcs10(der);
    } catch (error) {
      return error instanceof Pkcs10ParseError ? 'parse error' : `unexpected ${String(error)}`;
    }
    let key: KeyObject;
    try {
      key = keyOf(request.subjectPublicKeyInfo);
    } catch {
      return 'key unusable';
    }
    return verifyPkcs10Signature(request, key).verdict;
  };

  it.each([
    ['EC P-256', 0],
    ['RSASSA-PSS', 3],
  ])('never accepts the %s request with any one octet changed, anywhere', (_name, index) => {
    const der = madeAt(index).der;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: der.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (at, mask) => {
          // Prepare
          const changed = withByte(der, at, (der[at] ?? 0) ^ mask);
          // Act
          const outcome = outcomeOf(changed);
          // Assess
          expect(['parse error', 'key unusable', 'badSignature', 'unsupportedAlgorithm']).toContain(outcome);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('throws Pkcs10ParseError for every truncation of every vector, and nothing else', () => {
    for (const m of made) {
      for (let length = 0; length < m.der.length; length += 1) {
        expect(() => parsePkcs10(m.der.subarray(0, length))).toThrow(Pkcs10ParseError);
      }
    }
  });

  it('throws nothing but Pkcs10ParseError for arbitrary octets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const outcome = outcomeOf(Buffer.from(bytes));
        expect(outcome.startsWith('unexpected')).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
