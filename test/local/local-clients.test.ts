import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { destroyClients, LOCAL_MAX_SOCKETS, localClients } from '../../local/stack/clients.ts';
import { endpointsAt } from './endpoints-at.ts';

/**
 * One local client stands for the execution environments of every rotation in flight, each of which
 * has connections of its own on AWS: it does not queue a fleet's calls behind the SDK's default of 50
 * connections (the benchmark's 5,000-device runs reported that queue, `socket usage at capacity`).
 */
describe('the local stack’s SDK clients', () => {
  it('run more calls at once than the SDK’s default 50 connections allow', async () => {
    // Prepare: a DynamoDB stand-in that holds every call until all of them are open at once, then
    // answers them all. A client that queues calls never gets there: the generous deadline then
    // answers what is open, and the count shows how many were.
    const calls = 120;
    let mostOpen = 0;
    const held: (() => void)[] = [];
    const releaseAll = (): void => {
      for (const answer of held.splice(0)) answer();
    };
    let pastDeadline = false;
    const deadline = setTimeout(() => {
      pastDeadline = true;
      releaseAll();
    }, 30_000);
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        held.push(() => {
          response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          response.end('{}');
        });
        mostOpen = Math.max(mostOpen, held.length);
        if (held.length === calls) releaseAll();
        if (pastDeadline) releaseAll();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clients = localClients(endpointsAt(url), 'us-east-1');

    // Act
    await Promise.all(
      Array.from({ length: calls }, (_, i) =>
        clients.dynamodb.send(
          new GetItemCommand({ TableName: 't', Key: { thingName: { S: `thing-${i}` } } }),
        ),
      ),
    );

    // Assess
    expect(LOCAL_MAX_SOCKETS).toBeGreaterThanOrEqual(calls);
    expect(mostOpen).toBe(calls);
    clearTimeout(deadline);
    destroyClients(clients);
    server.closeAllConnections();
    server.close();
  });
});
