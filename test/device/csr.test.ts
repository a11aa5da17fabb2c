import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';
import { createCsrPem, generatePrivateKeyPem } from '../../device/agent/crypto.ts';
import { createCsrDer } from '../../device/agent/csr.ts';
import { memoizeByPem } from '../../device/agent/pem-memo.ts';

// The P-256 key of test/device/crypto.test.ts's known-answer certificate (made for tests only).
const KAT_TEST_ONLY_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglmRZ+vm3H9U77Ii2
bpmOg3BNjVlFvEcdsyc8dj0LrIyhRANCAARN60qrJCid1owvTYvz+uaSznbKkEOF
H2V8WlJPfYy9LMfa35T3xy9xiRyLOStn5ORYxVIPccuzPmYH9ZFDZXjP
-----END PRIVATE KEY-----
`;
// The CertificationRequestInfo OpenSSL writes for that key and CN=recert-kat-thing
// (`openssl req -new -key kat.pem -subj /CN=recert-kat-thing -outform der`, its first element).
const KAT_REQUEST_INFO_HEX =
  '307d020100301b3119301706035504030c107265636572742d6b61742d7468696e673059301306072a8648ce3d0201' +
  '06082a8648ce3d030107034200044deb4aab24289dd68c2f4d8bf3fae692ce76ca9043851f657c5a524f7d8cbd2cc7da' +
  'df94f7c72f71891c8b392b67e4e458c5520f71cbb33e6607f591436578cfa000';

/** What `openssl req -verify` says of a CSR. */
function opensslVerify(csrPem: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'recert-csr-'));
  try {
    const file = join(dir, 'request.pem');
    writeFileSync(file, csrPem);
    return execFileSync('openssl', ['req', '-in', file, '-verify', '-noout', '-subject'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the device’s PKCS#10 requests', () => {
  it('encode the request info byte for byte as OpenSSL does (known answer)', () => {
    // Act
    const der = createCsrDer(createPrivateKey(KAT_TEST_ONLY_KEY), 'recert-kat-thing');

    // Assess: the outer SEQUENCE (3-byte header here) starts with the request info.
    const parsed = asn1js.fromBER(new Uint8Array(der));
    expect(parsed.offset).toBe(der.length);
    const info = der.subarray(3, 3 + 2 + 0x7d);
    expect(info.toString('hex')).toBe(KAT_REQUEST_INFO_HEX);
  });

  for (const type of ['ec-p256', 'ec-p384', 'rsa-2048'] as const) {
    it(`verify with OpenSSL and name the thing (${type})`, async () => {
      // Prepare
      const key = await generatePrivateKeyPem(type);

      // Act
      const out = opensslVerify(await createCsrPem(key, 'thing-7'));

      // Assess
      expect(out).toMatch(/subject=CN\s?=\s?thing-7/);
    });
  }

  it('refuse a public key and name what is wrong', async () => {
    // Prepare
    const { createPublicKey } = await import('node:crypto');
    const publicKey = createPublicKey(KAT_TEST_ONLY_KEY);

    // Act / Assess
    expect(() => createCsrDer(publicKey, 'x')).toThrow(/signed with a private key/);
  });
});

describe('memoizeByPem', () => {
  it('computes once per PEM, forgets the oldest past its limit, and never remembers a failure', () => {
    // Prepare
    const calls: string[] = [];
    const lengths = memoizeByPem((pem) => {
      calls.push(pem);
      if (pem === 'bad') throw new Error('does not parse');
      return pem.length;
    }, 2);

    // Act
    const results = ['a', 'a', 'bb', 'ccc', 'a'].map((pem) => lengths.get(pem));
    const failures = [() => lengths.get('bad'), () => lengths.get('bad')].map((call) => {
      try {
        call();
        return 'no error';
      } catch (error) {
        return String(error);
      }
    });

    // Assess
    expect(results).toEqual([1, 1, 2, 3, 1]);
    expect(calls).toEqual(['a', 'bb', 'ccc', 'a', 'bad', 'bad']);
    expect(failures).toEqual(['Error: does not parse', 'Error: does not parse']);
  });

  it('serves a remembered value without computing it', () => {
    // Prepare
    const lengths = memoizeByPem((): number => {
      throw new Error('computed');
    });

    // Act
    lengths.remember('known', 42);

    // Assess
    expect(lengths.get('known')).toBe(42);
    expect(() => lengths.get('unknown')).toThrow('computed');
  });
});
