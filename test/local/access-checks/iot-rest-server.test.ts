import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateThingCommand,
  DescribeThingCommand,
  IoTClient,
  ListThingsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { dataPlaneRoutes } from '../../../local/iot/api/data-plane-routes.ts';
import { thingRoutes } from '../../../local/iot/api/things-routes.ts';
import { type RestAccessInput, RestServer } from '../../../local/iot/http/rest-server.ts';
import type { MessageBus } from '../../../local/iot/interfaces.ts';
import { AWS_DEFAULT_VALIDITY } from '../../../local/iot/registry/certificates.ts';
import { IotRegistry } from '../../../local/iot/registry/iot-registry.ts';
import { deniedMessage, type RecordingCheck, recordingCheck, rejectionOf } from './recording-check.ts';

/** The IoT restJson1 server (control plane and data plane) asking an access check before each route. */
let stateDir: string;
let registry: IotRegistry;
let server: RestServer;
let access: RecordingCheck;
let published: { topic: string; payload: Buffer }[];
let iot: IoTClient;
let data: IoTDataPlaneClient;

beforeEach(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'recert-iot-access-'));
  registry = new IotRegistry({
    dir: stateDir,
    clock: new ManualClock(Date.UTC(2026, 0, 1)),
    partition: { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID },
    ca: () => Promise.reject(new Error('no certificate authority in this test')),
    issuedValidity: AWS_DEFAULT_VALIDITY,
    keyKind: 'ec-p256',
  });
  published = [];
  const bus: MessageBus = {
    subscribe: () => () => undefined,
    publish: async (message) => {
      published.push({ topic: message.topic, payload: Buffer.from(message.payload) });
    },
  };
  access = recordingCheck();
  server = new RestServer({ accessCheck: access.check });
  server.addRoutes([...thingRoutes(registry), ...dataPlaneRoutes(bus)]);
  const port = await server.listen(0, '127.0.0.1');
  const config = {
    endpoint: `http://127.0.0.1:${port}`,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  };
  iot = new IoTClient(config);
  data = new IoTDataPlaneClient(config);
});

afterEach(async () => {
  iot.destroy();
  data.destroy();
  await server.close();
  registry.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const thingArn = (name: string) => `arn:aws:iot:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:thing/${name}`;

describe('the IoT REST server with an access check', () => {
  it('answers a refused CreateThing as AWS IoT does, and creates nothing', async () => {
    // Prepare
    const failure = {
      code: 'AccessDeniedException',
      status: 403,
      message: deniedMessage('iot:CreateThing', thingArn('sensor:7')),
    };
    access.refuse('CreateThing', failure);

    // Act
    const error = await rejectionOf(
      iot.send(
        new CreateThingCommand({
          thingName: 'sensor:7',
          attributePayload: { attributes: { fleet: 'north' } },
        }),
      ),
    );

    // Assess
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe(failure.message);
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(403);
    const [call] = access.callsFor('CreateThing');
    const input = call?.input as RestAccessInput;
    expect(input).toEqual({
      pathParams: { thingName: 'sensor:7' },
      query: expect.any(URLSearchParams),
      headers: expect.objectContaining({ authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 /) }),
      body: { attributePayload: { attributes: { fleet: 'north' } } },
    });
    expect([...input.query]).toEqual([]);
    expect(call?.request).toMatchObject({ method: 'POST', rawPath: '/things/sensor%3A7', rawQuery: '' });
    expect(JSON.parse(call?.request.body.toString('utf8') ?? '')).toEqual({
      attributePayload: { attributes: { fleet: 'north' } },
    });
    const describe = await rejectionOf(iot.send(new DescribeThingCommand({ thingName: 'sensor:7' })));
    expect(describe).toBeInstanceOf(ResourceNotFoundException);
  });

  it('lets the operations it does not refuse run, after asking for each', async () => {
    // Prepare
    access.refuse('DeleteThing', { code: 'AccessDeniedException', status: 403, message: 'denied' });

    // Act
    await iot.send(new CreateThingCommand({ thingName: 'allowed' }));
    const listed = await iot.send(new ListThingsCommand({ maxResults: 5 }));

    // Assess
    expect(listed.things?.map((thing) => thing.thingName)).toEqual(['allowed']);
    expect(access.calls.map((call) => call.operation)).toEqual(['CreateThing', 'ListThings']);
    const input = access.callsFor('ListThings')[0]?.input as RestAccessInput;
    expect([...input.query]).toEqual([['maxResults', '5']]);
    expect(access.callsFor('ListThings')[0]?.request.rawQuery).toBe('maxResults=5');
  });

  it('refuses before the route validates the request: an invalid body still gets the refusal', async () => {
    // Prepare
    access.refuse('CreateThing', { code: 'AccessDeniedException', status: 403, message: 'no CreateThing' });
    const tooLong = 'x'.repeat(801);

    // Act
    const error = await rejectionOf(
      iot.send(
        new CreateThingCommand({ thingName: 'bad', attributePayload: { attributes: { a: tooLong } } }),
      ),
    );

    // Assess
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe('no CreateThing');
  });

  it('asks for a data-plane Publish with its topic decoded, no parsed body, and publishes nothing when refused', async () => {
    // Prepare
    const failure = {
      code: 'ForbiddenException',
      status: 403,
      message: 'publish to devices/a/b is not allowed',
    };
    access.refuse('Publish', failure);

    // Act
    const error = await rejectionOf(
      data.send(new PublishCommand({ topic: 'devices/a/b', qos: 1, payload: Buffer.from('{"x":1}') })),
    );

    // Assess
    expect(error.name).toBe('ForbiddenException');
    expect(error.message).toBe(failure.message);
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(403);
    const [call] = access.callsFor('Publish');
    const input = call?.input as RestAccessInput;
    expect(input).toMatchObject({ pathParams: { topic: 'devices/a/b' }, body: undefined });
    expect(input.query.get('qos')).toBe('1');
    expect(call?.request.rawPath).toBe('/topics/devices%2Fa%2Fb');
    expect(call?.request.body.toString('utf8')).toBe('{"x":1}');
    expect(published).toEqual([]);
  });

  it('publishes once the check allows it', async () => {
    // Act
    await data.send(new PublishCommand({ topic: 'devices/a/b', payload: Buffer.from('hi') }));

    // Assess
    expect(published).toEqual([{ topic: 'devices/a/b', payload: Buffer.from('hi') }]);
    expect(server.callCounts()).toEqual({ Publish: 1 });
  });
});
