/**
 * What the local AWS servers read from an HTTP request: its body within a limit, drained past it, and
 * its signed form (`readBodyUpTo`, which leaves the rest unread, is in lib/http-body.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { SignedHttpRequest } from './iam/types.ts';

/**
 * The body, or undefined when it passes `limit` bytes; the rest is read and dropped rather than
 * left unread, so that an answer can still be written on the same connection.
 */
export function readBodyDraining(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The request as SigV4 verification reads it: method, path and query as sent, headers, body. */
export function signedRequestOf(req: IncomingMessage, body: Buffer): SignedHttpRequest {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return {
    method: req.method ?? 'POST',
    rawPath: query < 0 ? url : url.slice(0, query),
    rawQuery: query < 0 ? '' : url.slice(query + 1),
    headers: req.headers,
    body,
  };
}
