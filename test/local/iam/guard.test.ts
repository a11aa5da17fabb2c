import { ACMPCAClient, GetCertificateCommand } from '@aws-sdk/client-acm-pca';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeCertificateCommand, IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SNSClient, PublishCommand as SnsPublishCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeInternal, isAuthFailure, RequestGuard } from '../../../local/iam/guard.ts';
import { IdentityStore } from '../../../local/iam/identities.ts';
import type { GuardedService } from '../../../local/iam/service-errors.ts';
import type {
  AuthFailure,
  AuthorizationRequest,
  LocalCredentials,
  PolicyDocument,
  SignedHttpRequest,
} from '../../../local/iam/types.ts';
import { CapturingServer } from './sigv4-helpers.ts';

const ACCOUNT = '000000000000';
const region = 'us-east-1';
const TABLE = `arn:aws:dynamodb:${region}:${ACCOUNT}:table/devices`;
const readTable: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE }],
};

type Credentials = { accessKeyId: string; secretAccessKey: string };
type Send = (credentials: Credentials) => Promise<SignedHttpRequest>;

const server = new CapturingServer();
let endpoint = '';

/** One real SDK call per guarded service, signed with the given credentials and captured. */
const senders: Record<GuardedService, Send> = {
  dynamodb: (c) =>
    capture(new DynamoDBClient(cfg(c)), (x) =>
      x.send(new GetItemCommand({ TableName: 'devices', Key: { pk: { S: 'a' } } })),
    ),
  states: (c) =>
    capture(new SFNClient(cfg(c)), (x) =>
      x.send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:0:stateMachine:s' })),
    ),
  iot: (c) =>
    capture(new IoTClient(cfg(c)), (x) => x.send(new DescribeCertificateCommand({ certificateId: 'abc' }))),
  iotdata: (c) =>
    capture(new IoTDataPlaneClient(cfg(c)), (x) => x.send(new PublishCommand({ topic: 'a/b', qos: 1 }))),
  sns: (c) =>
    capture(new SNSClient(cfg(c)), (x) =>
      x.send(new SnsPublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:0:t', Message: 'm' })),
    ),
  events: (c) =>
    capture(new EventBridgeClient(cfg(c)), (x) =>
      x.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] })),
    ),
  'acm-pca': (c) =>
    capture(new ACMPCAClient(cfg(c)), (x) =>
      x.send(
        new GetCertificateCommand({
          CertificateAuthorityArn: 'arn:aws:acm-pca:us-east-1:0:certificate-authority/c',
          CertificateArn: 'x',
        }),
      ),
    ),
};
const cfg = (credentials: Credentials) => ({ endpoint, region, credentials, maxAttempts: 1 });

async function capture<C extends { destroy(): void }>(
  client: C,
  call: (client: C) => Promise<unknown>,
): Promise<SignedHttpRequest> {
  try {
    return await server.capture(() => call(client));
  } finally {
    client.destroy();
  }
}

const SERVICES = Object.keys(senders) as GuardedService[];
type Codes = { signature: string; unrecognized: string; missing: string; denied: string };
const AWS_CODES: Codes = {
  signature: 'InvalidSignatureException',
  unrecognized: 'UnrecognizedClientException',
  missing: 'MissingAuthenticationTokenException',
  denied: 'AccessDeniedException',
};
const EXPECTED: Record<GuardedService, Codes> = {
  dynamodb: AWS_CODES,
  states: AWS_CODES,
  events: AWS_CODES,
  'acm-pca': AWS_CODES,
  iot: AWS_CODES,
  iotdata: { ...AWS_CODES, unrecognized: 'ForbiddenException', denied: 'ForbiddenException' },
  sns: {
    signature: 'SignatureDoesNotMatch',
    unrecognized: 'InvalidClientTokenId',
    missing: 'MissingAuthenticationToken',
    denied: 'AuthorizationError',
  },
};

const identities = new IdentityStore(ACCOUNT);
let known: LocalCredentials;
const signed = new Map<string, SignedHttpRequest>();
const get = (key: string): SignedHttpRequest => {
  const request = signed.get(key);
  if (request === undefined) throw new Error(`no captured request ${key}`);
  return request;
};
const dateOf = (request: SignedHttpRequest): Date =>
  new Date(
    String(request.headers['x-amz-date']).replace(
      /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
      '$1-$2-$3T$4:$5:$6Z',
    ),
  );

beforeAll(async () => {
  // Prepare: for each service, requests signed correctly, with a wrong secret, with an issued key the
  // store does not know, and with credentials nobody configured.
  endpoint = await server.start();
  known = identities.addRoleSession('reader', 'session-1', [readTable]);
  for (const service of SERVICES) {
    const send = senders[service];
    signed.set(`${service}:good`, await send(known));
    signed.set(`${service}:wrong-secret`, await send({ ...known, secretAccessKey: 'not the secret' }));
    signed.set(
      `${service}:unknown`,
      await send({ accessKeyId: 'ASIARECERTNOBODY0000', secretAccessKey: 's' }),
    );
    signed.set(`${service}:foreign`, await send({ accessKeyId: 'test', secretAccessKey: 'test' }));
  }
});

afterAll(async () => {
  await server.stop();
});

describe('RequestGuard.authenticate', () => {
  it.each(
    SERVICES,
  )('answers %s with its own errors, and the role session for a good signature', (service) => {
    // Prepare
    const at = dateOf(get(`${service}:good`));
    const guard = new RequestGuard(service, identities, () => at);
    const { authorization: _, ...unsigned } = get(`${service}:good`).headers;

    // Act
    const good = guard.authenticate(get(`${service}:good`));
    const wrong = guard.authenticate(get(`${service}:wrong-secret`));
    const unknown = guard.authenticate(get(`${service}:unknown`));
    const foreign = guard.authenticate(get(`${service}:foreign`));
    const missing = guard.authenticate({ ...get(`${service}:good`), headers: unsigned });

    // Assess
    expect(isAuthFailure(good)).toBe(false);
    expect(good).toMatchObject({
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/reader/session-1`,
      administrator: false,
    });
    expect((good as { roleArn?: string }).roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/reader`);
    expect(wrong).toMatchObject({ code: EXPECTED[service].signature });
    expect(unknown).toMatchObject({ code: EXPECTED[service].unrecognized });
    expect(missing).toMatchObject({ code: EXPECTED[service].missing });
    expect(isAuthFailure(foreign)).toBe(false);
    expect(foreign).toMatchObject({ arn: `arn:aws:iam::${ACCOUNT}:root`, administrator: true });
  });

  it('refuses a good signature scoped to another service', () => {
    // Prepare: a request the DynamoDB client signed, arriving at Step Functions.
    const request = get('dynamodb:good');
    const guard = new RequestGuard('states', identities, () => dateOf(request));

    // Act
    const failure = guard.authenticate(request);

    // Assess
    expect(failure).toEqual({
      code: 'InvalidSignatureException',
      status: 400,
      message: "Credential should be scoped to correct service: 'states'.",
    });
  });

  it('answers a signature out of the 15-minute window with AWS message', () => {
    // Prepare
    const request = get('dynamodb:good');
    const at = dateOf(request);
    const late = new RequestGuard('dynamodb', identities, () => new Date(at.getTime() + 20 * 60_000));
    const early = new RequestGuard('sns', identities, () => new Date(at.getTime() - 20 * 60_000));

    // Act
    const expired = late.authenticate(request) as AuthFailure;
    const notYet = early.authenticate(get('sns:good')) as AuthFailure;

    // Assess
    expect(expired).toMatchObject({ code: 'InvalidSignatureException', status: 400 });
    expect(expired.message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/,
    );
    expect(notYet).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    expect(notYet.message).toMatch(/^Signature not yet current: /);
  });
});

describe('RequestGuard.authorize', () => {
  const principal = () => identities.principalOf(known.accessKeyId);
  const getItem = (resource = TABLE): AuthorizationRequest => ({
    action: 'dynamodb:GetItem',
    resource,
    context: {},
  });

  it('allows what the role policies allow and refuses the rest with AWS message', () => {
    // Prepare
    const guard = new RequestGuard('dynamodb', identities);
    const p = principal();
    if (p === undefined) throw new Error('no principal');
    const other = `arn:aws:dynamodb:${region}:${ACCOUNT}:table/other`;

    // Act
    const allowed = guard.authorize(p, [getItem()]);
    const denied = guard.authorize(p, [getItem(), getItem(other)]);

    // Assess
    expect(allowed).toBeUndefined();
    expect(denied).toEqual({
      code: 'AccessDeniedException',
      status: 400,
      message:
        `User: arn:aws:sts::${ACCOUNT}:assumed-role/reader/session-1 is not authorized to perform: dynamodb:GetItem ` +
        `on resource: ${other} because no identity-based policy allows the dynamodb:GetItem action`,
    });
  });

  it('reports an explicit deny, answers each service with its code, and always allows the administrator', () => {
    // Prepare
    const store = new IdentityStore(ACCOUNT);
    const denyAll: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
    };
    store.addRoleSession('blocked', 's', [readTable, denyAll]);
    const p = store.sessionPrincipal('blocked', 's');
    if (p === undefined) throw new Error('no principal');

    // Act
    const failures = SERVICES.map((service) => new RequestGuard(service, store).authorize(p, [getItem()]));
    const admin = new RequestGuard('iot', store).authorize(store.administrator('test'), [getItem()]);

    // Assess
    failures.forEach((failure, i) => {
      const service = SERVICES[i] as GuardedService;
      expect(failure?.code).toBe(EXPECTED[service].denied);
      expect(failure?.message).toBe(
        `User: arn:aws:sts::${ACCOUNT}:assumed-role/blocked/s is not authorized to perform: dynamodb:GetItem ` +
          `on resource: ${TABLE} with an explicit deny in an identity-based policy`,
      );
    });
    expect(admin).toBeUndefined();
  });

  it('sees a role policy change in every session, despite cached decisions', () => {
    // Prepare
    const store = new IdentityStore(ACCOUNT);
    store.addRoleSession('worker', 'a', [readTable]);
    store.addRoleSession('worker', 'b', []);
    const a = store.sessionPrincipal('worker', 'a');
    const b = store.sessionPrincipal('worker', 'b');
    if (a === undefined || b === undefined) throw new Error('no principal');
    const guard = new RequestGuard('dynamodb', store);
    expect(guard.authorize(a, [getItem()])).toBeUndefined();
    expect(guard.authorize(b, [getItem()])).toBeUndefined();
    expect(store.decisions.size).toBeGreaterThan(0);

    // Act
    store.setPolicies('worker', []);

    // Assess
    expect(store.decisions.size).toBe(0);
    expect(guard.authorize(a, [getItem()])?.code).toBe('AccessDeniedException');
    expect(authorizeInternal(store, b, [getItem()])).toMatchObject({
      code: 'AccessDeniedException',
      status: 403,
    });
  });
});
