import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a loopback AWS stand-in answers to one request: its HTTP status and its JSON body. */
export interface LoopbackAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * A loopback stand-in for an AWS JSON service (DynamoDB, Step Functions): each request's body, as
 * text, goes to `answer`, whose answer is sent back as `application/x-amz-json-1.0`.
 */
export async function loopbackJsonService(
  answer: (requestBody: string) => LoopbackAnswer,
): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
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
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}
