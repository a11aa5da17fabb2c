import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

/** What a loopback AWS stand-in answers to one request: its HTTP status and its JSON body. */
export interface LoopbackAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * A loopback stand-in for an AWS JSON service (DynamoDB, Step Functions) for the suite's tests,
 * started before them and closed after: each request's body, as text, goes to `answer`, whose
 * answer is sent back as `application/x-amz-json-1.0`.
 */
export function useLoopbackJsonService(answer: (requestBody: string) => LoopbackAnswer): {
  readonly url: string;
} {
  let server: Server | undefined;
  beforeAll(async () => {
    server = createServer((request, response) => {
      let raw = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        raw += chunk;
      });
      request.on('end', () => {
        const { status, body } = answer(raw);
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(body));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(() => {
    server?.close();
  });
  return {
    get url() {
      if (!server) throw new Error('the loopback service starts in beforeAll; use it inside a test');
      const { port } = server.address() as AddressInfo;
      return `http://127.0.0.1:${port}`;
    },
  };
}
