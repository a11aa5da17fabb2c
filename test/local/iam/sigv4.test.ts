import { ACMPCAClient, GetCertificateCommand } from '@aws-sdk/client-acm-pca';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeCertificateCommand, IoTClient, ListThingsCommand } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SNSClient, PublishCommand as SnsPublishCommand } from '@aws-sdk/client-sns';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { escapeUri } from '@smithy/util-uri-escape';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../../local/iam/sigv4.ts';
import type { SignedHttpRequest } from '../../../local/iam/types.ts';
import { CapturingServer } from './sigv4-helpers.ts';

const credentials = {
  accessKeyId: 'ASIARECERTTESTKEY001',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const secretOf = (id: string) => (id === credentials.accessKeyId ? credentials.secretAccessKey : undefined);
const region = 'eu-west-1';

const server = new CapturingServer();
const captured = new Map<string, SignedHttpRequest>();

/** The wall clock the request says it was signed at. */
const signedAt = (request: SignedHttpRequest): Date => {
  const text = String(request.headers['x-amz-date']);
  return new Date(text.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
};

const withHeader = (request: SignedHttpRequest, name: string, value: string): SignedHttpRequest => ({
  ...request,
  headers: { ...request.headers, [name]: value },
});

beforeAll(async () => {
  // Prepare: one request per protocol shape, sent by the unchanged SDK clients to a loopback server.
  const endpoint = await server.start();
  const config = { endpoint, region, credentials, maxAttempts: 1 };
  const dynamodb = new DynamoDBClient(config);
  const iot = new IoTClient(config);
  const iotData = new IoTDataPlaneClient(config);
  const sfn = new SFNClient(config);
  const sns = new SNSClient(config);
  const events = new EventBridgeClient(config);
  const pca = new ACMPCAClient(config);
  const calls: Record<string, () => Promise<unknown>> = {
    dynamodb: () =>
      dynamodb.send(new GetItemCommand({ TableName: 'devices', Key: { pk: { S: 'thing#1' } } })),
    'iot-path-label': () => iot.send(new DescribeCertificateCommand({ certificateId: 'abc' })),
    'iot-query': () =>
      iot.send(
        new ListThingsCommand({ attributeName: 'fleet', attributeValue: "a b+c/d*e(f)'!", maxResults: 7 }),
      ),
    'iotdata-encoded-label': () =>
      iotData.send(
        new PublishCommand({ topic: 'management/topic/x/csr_req', qos: 1, payload: Buffer.from('{}') }),
      ),
    states: () =>
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:s',
          input: '{"a":"ü"}',
        }),
      ),
    sns: () =>
      sns.send(new SnsPublishCommand({ TopicArn: 'arn:aws:sns:eu-west-1:1:t', Message: 'hello & bye =' })),
    events: () =>
      events.send(new PutEventsCommand({ Entries: [{ Source: 'recert', DetailType: 'x', Detail: '{}' }] })),
    'acm-pca': () =>
      pca.send(
        new GetCertificateCommand({
          CertificateAuthorityArn: 'arn:aws:acm-pca:eu-west-1:1:certificate-authority/c',
          CertificateArn: 'arn:x',
        }),
      ),
  };
  for (const [name, call] of Object.entries(calls)) captured.set(name, await server.capture(call));
  for (const client of [dynamodb, iot, iotData, sfn, sns, events, pca]) client.destroy();
});

afterAll(async () => {
  await server.stop();
});

function get(name: string): SignedHttpRequest {
  const request = captured.get(name);
  if (request === undefined) throw new Error(`no captured request ${name}`);
  return request;
}

describe('SigV4 verification of requests from the SDK clients', () => {
  it.each([
    ['dynamodb', 'dynamodb'],
    ['iot-path-label', 'iot'],
    ['iot-query', 'iot'],
    ['iotdata-encoded-label', 'iotdata'],
    ['states', 'states'],
    ['sns', 'sns'],
    ['events', 'events'],
    ['acm-pca', 'acm-pca'],
  ])('accepts the %s request signed for %s', (name, service) => {
    // Prepare
    const request = get(name);

    // Act
    const check = verifySignature(request, secretOf, signedAt(request));

    // Assess
    expect(check).toEqual({ ok: true, accessKeyId: credentials.accessKeyId, region, service });
  });

  it('sees the percent-encoded label and the query as sent', () => {
    // Assess: the shapes the verifier has to reproduce are really on the wire.
    expect(get('iotdata-encoded-label').rawPath).toBe('/topics/management%2Ftopic%2Fx%2Fcsr_req');
    expect(get('iotdata-encoded-label').rawQuery).toBe('qos=1');
    expect(get('iot-path-label').rawPath).toBe('/certificates/abc');
    expect(get('iot-query').rawQuery).toContain('attributeValue=');
    expect(get('sns').body.toString()).toContain('Action=Publish');
  });

  it.each([
    'dynamodb',
    'iotdata-encoded-label',
    'sns',
    'iot-query',
  ])('rejects a tampered %s request', (name) => {
    // Prepare
    const request = get(name);
    const now = signedAt(request);
    const tampered: SignedHttpRequest[] = [
      { ...request, body: Buffer.concat([request.body, Buffer.from(' ')]) },
      withHeader(request, 'host', 'example.com'),
      { ...request, rawPath: `${request.rawPath}x` },
      { ...request, rawQuery: request.rawQuery === '' ? 'a=1' : `${request.rawQuery}&z=1` },
      { ...request, method: request.method === 'POST' ? 'PUT' : 'POST' },
    ];

    // Act
    const reasons = tampered.map((t) => verifySignature(t, secretOf, now));

    // Assess
    for (const check of reasons) expect(check).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a wrong secret, an unknown key, a missing or malformed header, and a date out of the window', () => {
    // Prepare
    const request = get('states');
    const at = signedAt(request);
    const minutes = (n: number) => new Date(at.getTime() + n * 60_000);
    const { authorization: _, ...unsigned } = request.headers;

    // Act / Assess
    expect(verifySignature(request, () => 'another secret', at)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(request, () => undefined, at)).toEqual({ ok: false, reason: 'unknown-key' });
    expect(verifySignature({ ...request, headers: unsigned }, secretOf, at)).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(
      verifySignature(withHeader(request, 'authorization', 'AWS4-HMAC-SHA256 nonsense'), secretOf, at),
    ).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifySignature(request, secretOf, minutes(14))).toMatchObject({ ok: true });
    expect(verifySignature(request, secretOf, minutes(-14))).toMatchObject({ ok: true });
    expect(verifySignature(request, secretOf, minutes(16))).toEqual({ ok: false, reason: 'expired' });
    expect(verifySignature(request, secretOf, minutes(-16))).toEqual({ ok: false, reason: 'expired' });
  });

  it('never throws on arbitrary requests, answering missing or malformed instead', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const authorization = fc.oneof(
      text,
      fc
        .tuple(text, text, fc.constantFrom('0'.repeat(64), 'ab'.repeat(32)))
        .map(
          ([scope, names, sig]) =>
            `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names}, Signature=${sig}`,
        ),
    );
    fc.assert(
      fc.property(text, text, authorization, text, text, (method, rawPath, auth, amzDate, rawQuery) => {
        // Prepare
        const request: SignedHttpRequest = {
          method,
          rawPath,
          rawQuery,
          headers: { authorization: auth, 'x-amz-date': amzDate, host: 'h' },
          body: Buffer.from(''),
        };

        // Act / Assess
        expect(() => verifySignature(request, secretOf, new Date())).not.toThrow();
      }),
    );
  });
});

describe('SigV4 verification agrees with @smithy/signature-v4', () => {
  const segment = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((s) => !s.includes('/'));
  const queryValue = fc.string({ unit: 'grapheme', maxLength: 8 });

  it('accepts whatever SignatureV4 signs, for any path labels, query values and header values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 0, maxLength: 4 }),
        fc.dictionary(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_.~-]{0,6}$/), queryValue, { maxKeys: 3 }),
        fc.string({ maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, ' ')),
        fc.string({ maxLength: 30 }),
        fc.constantFrom('dynamodb', 'iot', 'iotdata', 'sns'),
        async (labels, query, headerValue, body, service) => {
          // Prepare: the path as a restJson serializer builds it (each label URI-encoded).
          const path = `/${labels.map((l) => escapeUri(l)).join('/')}`;
          const signer = new SignatureV4({ credentials, region, service, sha256: Hash.bind(null, 'sha256') });
          const request = new HttpRequest({
            method: 'POST',
            hostname: '127.0.0.1',
            port: 4566,
            path,
            query,
            headers: { host: '127.0.0.1:4566', 'x-custom': headerValue, 'content-type': 'application/json' },
            body,
          });
          const signingDate = new Date('2026-05-01T10:20:30Z');
          const signed = await signer.sign(request, { signingDate });
          const rawQuery = Object.entries(query)
            .map(([k, v]) => `${escapeUri(k)}=${escapeUri(v)}`)
            .join('&');

          // Act
          const check = verifySignature(
            { method: 'POST', rawPath: path, rawQuery, headers: signed.headers, body: Buffer.from(body) },
            secretOf,
            signingDate,
          );

          // Assess
          expect(check).toEqual({ ok: true, accessKeyId: credentials.accessKeyId, region, service });
        },
      ),
      { numRuns: 150 },
    );
  });
});
