import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeMessage,
  MAX_PAYLOAD_BYTES,
  parseMessage,
  parseTopic,
  topicFor,
} from '../../workflows/rotate-device/protocol.ts';

const rotationId = '6f1c1d2e-1a2b-4c3d-9e4f-5a6b7c8d9e0f';

describe('device protocol', () => {
  it('builds and parses management topics', () => {
    // Prepare / Act
    const topic = topicFor('sensor-1', 'csr_res');
    // Assess
    expect(topic).toBe('management/topic/sensor-1/csr_res');
    expect(parseTopic(topic)).toEqual({ thingName: 'sensor-1', kind: 'csr_res' });
  });

  it('round-trips every valid thing name through topicFor and parseTopic', () => {
    const thingName = fc.stringMatching(/^[a-zA-Z0-9:_-]{1,128}$/);
    const kind = fc.constantFrom('csr_req', 'csr_res', 'crt_res', 'crt_ack', 'crt_err' as const);
    fc.assert(
      fc.property(thingName, kind, (name, k) => {
        expect(parseTopic(topicFor(name, k))).toEqual({ thingName: name, kind: k });
      }),
    );
  });

  it('refuses names that would escape the topic tree', () => {
    for (const bad of ['', 'a/b', '+', '#', 'x'.repeat(129), 'a b']) {
      expect(() => topicFor(bad, 'csr_req')).toThrow(/not a valid thing name/);
    }
    expect(parseTopic('management/topic/a/b/csr_res')).toBeUndefined();
    expect(parseTopic('management/topic/a/other')).toBeUndefined();
    expect(parseTopic('elsewhere/topic/a/csr_res')).toBeUndefined();
  });

  it('parses a valid reply and names what is wrong with a bad one', () => {
    expect(parseMessage('csr_res', JSON.stringify({ rotationId, CSR: 'pem' }))).toEqual({
      ok: true,
      message: { rotationId, CSR: 'pem' },
    });
    expect(parseMessage('csr_res', '{not json')).toEqual({
      ok: false,
      reason: 'csr_res payload is not JSON',
    });
    expect(parseMessage('csr_res', new Uint8Array([0xff, 0xfe]))).toEqual({
      ok: false,
      reason: 'csr_res payload is not UTF-8',
    });
    const missing = parseMessage('crt_err', JSON.stringify({ rotationId }));
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.reason).toMatch(/^crt_err payload is malformed: error:/);
    const badId = parseMessage('crt_ack', JSON.stringify({ rotationId: 'nope' }));
    expect(!badId.ok && badId.reason).toMatch(/rotationId/);
    const big = parseMessage('csr_res', 'x'.repeat(MAX_PAYLOAD_BYTES + 1));
    expect(!big.ok && big.reason).toMatch(/more than 65536/);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const result = parseMessage('csr_res', bytes);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });

  it('refuses to encode a message that breaks its schema', () => {
    expect(encodeMessage('csr_req', { rotationId })).toBe(JSON.stringify({ rotationId }));
    expect(() => encodeMessage('csr_req', { rotationId: 'x' })).toThrow();
  });
});
