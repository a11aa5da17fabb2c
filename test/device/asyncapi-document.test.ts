import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Parser } from '@asyncapi/parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CLOUD_TO_DEVICE,
  DEVICE_TO_CLOUD,
  type MessageKind,
  parseMessage,
  topicFor,
} from '../../workflows/rotate-device/protocol.ts';

const DOCUMENT = fileURLToPath(new URL('../../device/protocol/asyncapi.yaml', import.meta.url));
const ID = '0b5f8a52-7c1e-4c7e-9a43-2f3b8f0d6a11';
const CERT_ID = 'a'.repeat(64);

/** Payloads protocol.ts accepts, and payloads it refuses, for each kind. */
const SAMPLES: Record<MessageKind, { accepted: unknown[]; refused: unknown[] }> = {
  csr_req: {
    accepted: [{ rotationId: ID }, { rotationId: ID, previousError: 'CsrKeyTooSmall' }],
    refused: [
      {},
      { rotationId: 'nope' },
      { rotationId: ID, extra: 1 },
      { rotationId: ID, previousError: '' },
    ],
  },
  crt_res: {
    accepted: [{ rotationId: ID, certificatePem: 'PEM', certificateId: CERT_ID }],
    refused: [
      { rotationId: ID, certificatePem: 'PEM' },
      { rotationId: ID, certificatePem: 'PEM', certificateId: 'ABC' },
      { rotationId: ID, certificatePem: 'x'.repeat(16 * 1024 + 1), certificateId: CERT_ID },
      { rotationId: ID, certificatePem: 'PEM', certificateId: CERT_ID, more: true },
    ],
  },
  csr_res: {
    accepted: [{ rotationId: ID, CSR: 'PEM' }, { CSR: 'PEM' }, { CSR: 'PEM', extra: 'kept out' }],
    refused: [
      { rotationId: ID },
      { CSR: '' },
      { CSR: 'x'.repeat(32 * 1024 + 1) },
      { rotationId: 7, CSR: 'PEM' },
    ],
  },
  crt_ack: {
    accepted: [{ rotationId: ID }, {}],
    refused: [{ rotationId: 'not-a-uuid' }, []],
  },
  crt_err: {
    accepted: [{ rotationId: ID, error: 'TLS refused' }, { error: '' }],
    refused: [{ rotationId: ID }, { error: 'x'.repeat(4097) }, { error: 3 }],
  },
};

describe('the AsyncAPI document of the device protocol', () => {
  const schemas = new Map<string, z.ZodType>();
  const addresses = new Map<string, string>();
  const directions = new Map<string, string>();
  const qos = new Map<string, number | undefined>();

  beforeAll(async () => {
    const { document, diagnostics } = await new Parser().parse(await readFile(DOCUMENT, 'utf8'));
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors.map((d) => d.message)).toEqual([]);
    if (!document) throw new Error('the document did not parse');
    for (const message of document.allMessages()) {
      schemas.set(message.name() ?? '', z.fromJSONSchema(message.payload()?.json() as never));
    }
    for (const channel of document.channels()) {
      for (const message of channel.messages()) addresses.set(message.name() ?? '', channel.address() ?? '');
    }
    for (const operation of document.operations()) {
      const binding = operation.bindings().get('mqtt')?.value() as { qos?: number } | undefined;
      for (const message of operation.messages()) {
        directions.set(message.name() ?? '', operation.action());
        qos.set(message.name() ?? '', binding?.qos);
      }
    }
  });

  it('names every kind of message, on its topic, in its direction, at QoS 1', () => {
    for (const kind of [...CLOUD_TO_DEVICE, ...DEVICE_TO_CLOUD]) {
      expect(addresses.get(kind)?.replace('{thingName}', 'T'), kind).toBe(topicFor('T', kind));
      expect(qos.get(kind), kind).toBe(1);
      expect(directions.get(kind), kind).toBe(
        (CLOUD_TO_DEVICE as readonly string[]).includes(kind) ? 'receive' : 'send',
      );
    }
  });

  for (const [kind, { accepted, refused }] of Object.entries(SAMPLES) as [
    MessageKind,
    (typeof SAMPLES)[MessageKind],
  ][]) {
    it(`accepts what protocol.ts accepts for ${kind}, and refuses what it refuses`, () => {
      const schema = schemas.get(kind);
      if (!schema) throw new Error(`no message ${kind} in the document`);
      for (const payload of accepted) {
        expect(parseMessage(kind, JSON.stringify(payload)).ok, JSON.stringify(payload)).toBe(true);
        expect(schema.safeParse(payload).success, `document refuses ${JSON.stringify(payload)}`).toBe(true);
      }
      for (const payload of refused) {
        expect(parseMessage(kind, JSON.stringify(payload)).ok, JSON.stringify(payload)).toBe(false);
        expect(
          schema.safeParse(payload).success,
          `document accepts ${JSON.stringify(payload).slice(0, 80)}`,
        ).toBe(false);
      }
    });
  }
});
