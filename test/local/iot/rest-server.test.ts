import { connect } from 'node:net';
import { CreateThingCommand, ListThingsCommand } from '@aws-sdk/client-iot';
import { PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { describe, expect, it } from 'vitest';
import { useStarted } from '../started.ts';
import { startCore } from './helpers/core.ts';

describe('the IoT restJson1 server under bad requests', () => {
  const t = useStarted(() => startCore());

  const send = async (
    method: string,
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${t.core.endpoints.http}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    return { status: response.status, type: response.headers.get('x-amzn-errortype'), body: text };
  };

  it('answers garbage JSON with an AWS-shaped InvalidRequestException', async () => {
    // Act
    const r = await send('POST', '/policies/p1', '{"policyDocument": ');

    // Assess
    expect(r.status).toBe(400);
    expect(r.type).toBe('InvalidRequestException');
    expect(JSON.parse(r.body)).toEqual({ message: 'request body is not valid JSON' });
  });

  it('names the wrong field when the JSON has the wrong shape', async () => {
    // Act
    const r = await send('POST', '/policies/p1', JSON.stringify({ policyDocument: 42 }));

    // Assess
    expect(r.status).toBe(400);
    expect(r.type).toBe('InvalidRequestException');
    expect(JSON.parse(r.body).message).toContain('policyDocument');
  });

  it('answers unknown operations and wrong methods without crashing', async () => {
    // Act
    const unknown = await send('GET', '/no/such/operation');
    const wrongMethod = await send('PATCH', '/things/a');

    // Assess
    expect(unknown).toMatchObject({ status: 404, type: 'UnknownOperationException' });
    expect(wrongMethod).toMatchObject({ status: 405, type: 'MethodNotAllowedException' });
  });

  it('refuses an oversized body with RequestEntityTooLargeException, through the SDK too', async () => {
    // Act
    const raw = await send('POST', '/things/big', Buffer.alloc(2 * 1024 * 1024, 0x20));
    const viaSdk = t.data.send(new PublishCommand({ topic: 'a/b', payload: Buffer.alloc(129 * 1024, 1) }));

    // Assess
    expect(raw).toMatchObject({ status: 413, type: 'RequestEntityTooLargeException' });
    await expect(viaSdk).rejects.toMatchObject({ name: 'RequestEntityTooLargeException' });
  });

  it('validates data-plane Publish parameters', async () => {
    // Act / Assess
    await expect(
      t.data.send(new PublishCommand({ topic: 'a/+/b', payload: Buffer.from('x') })),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
    await expect(
      t.data.send(new PublishCommand({ topic: 'a/b', qos: 2, payload: Buffer.from('x') })),
    ).rejects.toMatchObject({ name: 'InvalidRequestException' });
  });

  it('stays up through a burst of malformed requests and broken HTTP, then serves the SDK', async () => {
    // Prepare
    const garbage = Array.from({ length: 100 }, (_, i) =>
      i % 3 === 0
        ? send('POST', '/things/x', '\u0000{{{not json')
        : send(i % 2 === 0 ? 'POST' : 'PUT', '/target-policies/p', '\u0000{{{not json'),
    );
    const broken = new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(t.core.endpoints.http).port), '127.0.0.1');
      let answer = '';
      socket.on('data', (d) => {
        answer += d.toString();
      });
      socket.on('close', () => resolve(answer));
      socket.on('error', () => resolve(answer));
      socket.write('THIS IS NOT HTTP\r\n\r\n');
    });

    // Act
    const statuses = (await Promise.all(garbage)).map((r) => r.status);
    const brokenAnswer = await broken;
    await t.iot.send(new CreateThingCommand({ thingName: 'after-the-storm' }));
    const listed = await t.iot.send(new ListThingsCommand({}));

    // Assess
    expect(statuses.every((s) => s === 400)).toBe(true);
    expect(brokenAnswer).toContain('400');
    expect(listed.things?.map((x) => x.thingName)).toEqual(['after-the-storm']);
  });
});
