/** Reading an HTTP request's body within a size limit, for the local AWS servers and the console. */
import type { IncomingMessage } from 'node:http';

/** The body, or undefined as soon as it passes `limit` bytes (the rest is left unread). */
export async function readBodyUpTo(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limit) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
