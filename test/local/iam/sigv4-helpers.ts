import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SignedHttpRequest } from '../../../local/iam/types.ts';

/**
 * A loopback server that records every request as the SigV4 verifier sees it and answers with a
 * non-retryable error (the clients' results do not matter, only what they sent).
 */
export class CapturingServer {
  readonly requests: SignedHttpRequest[] = [];
  #server: Server | undefined;

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const target = req.url ?? '/';
        const q = target.indexOf('?');
        this.requests.push({
          method: req.method ?? 'GET',
          rawPath: q < 0 ? target : target.slice(0, q),
          rawQuery: q < 0 ? '' : target.slice(q + 1),
          headers: { ...req.headers },
          body: Buffer.concat(chunks),
        });
        res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'Captured' });
        res.end(JSON.stringify({ __type: 'Captured', message: 'captured' }));
      });
    });
    const server = this.#server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Runs a client call (which fails on the canned answer) and returns the request it sent. */
  async capture(call: () => Promise<unknown>): Promise<SignedHttpRequest> {
    const before = this.requests.length;
    await call().catch(() => undefined);
    const request = this.requests[before];
    if (request === undefined) throw new Error('the client sent no request');
    return request;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
