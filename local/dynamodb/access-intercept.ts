/**
 * An access check in front of dynalite, which owns its HTTP server: the request's body is buffered,
 * the check asked with the operation and the parsed body, and a refusal answered as DynamoDB answers
 * one; any other request is handed to dynalite unchanged (a replay of the same body), so dynalite's
 * own parsing, errors, CRC32 header and keep-alive behave as without the check.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { crc32 } from 'node:zlib';
import { signedRequestOf } from '../http-request.ts';
import type { AccessCheck, AuthFailure } from '../iam/types.ts';

/** dynalite's own request limit: past it a request is refused with 413 as dynalite refuses it. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
/** `DynamoDB_20120810.GetItem` (dynalite also serves the 2011 API version: checked the same way). */
const TARGET = /^DynamoDB_\d{8}\.([A-Za-z]+)$/;

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Replaces dynalite's `request` listener(s) on its server with one that asks `check` first. */
export function interceptRequests(server: Server, check: AccessCheck): void {
  const dynalite = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  // dynalite's handler reads only the request's events, method, url and headers: a replay serves.
  const forward = (req: IncomingMessage | PassThrough, res: ServerResponse): void => {
    for (const listener of dynalite) listener(req as IncomingMessage, res);
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = req.headers['x-amz-target'];
    const operation =
      req.method === 'POST' && typeof target === 'string' ? TARGET.exec(target)?.[1] : undefined;
    // A request naming no DynamoDB operation has nothing to authorize: dynalite answers it.
    if (operation === undefined) {
      forward(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) return;
      // Too large to check: answered as dynalite answers it (413, empty body), the rest read and dropped.
      req.off('data', onData).off('end', onEnd).resume();
      chunks.length = 0;
      res.statusCode = 413;
      res.setHeader('Transfer-Encoding', 'chunked');
      res.end();
    };
    const onEnd = (): void => {
      const body = Buffer.concat(chunks, size);
      let refusal: AuthFailure | undefined;
      try {
        refusal = decide(check, req, operation, body);
      } catch (error) {
        writeError(
          res,
          500,
          'com.amazonaws.dynamodb.v20120810#InternalServerError',
          'message',
          String(error),
        );
        return;
      }
      if (refusal) writeRefusal(res, refusal);
      else forward(replayOf(req, body), res);
    };
    req.on('data', onData).on('end', onEnd);
    // A client that goes away mid-body leaves nothing to answer.
    req.on('error', () => res.destroy());
  });
}

/** The check's answer; a body that is empty or not JSON is left to dynalite, which refuses it first. */
function decide(
  check: AccessCheck,
  req: IncomingMessage,
  operation: string,
  body: Buffer,
): AuthFailure | undefined {
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  return check(signedRequestOf(req, body), operation, input);
}

/**
 * A stream that reads as the request did (the same body, method, url and headers), for dynalite's
 * handler; the response stays the real one, so the connection and keep-alive are untouched.
 */
function replayOf(req: IncomingMessage, body: Buffer): PassThrough {
  const replay = new PassThrough();
  replay.end(body);
  return Object.assign(replay, {
    method: req.method,
    url: req.url,
    headers: req.headers,
    httpVersion: req.httpVersion,
    socket: req.socket,
  });
}

/**
 * DynamoDB answers an authentication or authorization failure as a coral service error:
 * `{"__type":"com.amazon.coral.service#AccessDeniedException","Message":...}` (capital M for
 * AccessDeniedException, `message` for the signature and token errors); the SDK reads either.
 */
function writeRefusal(res: ServerResponse, failure: AuthFailure): void {
  const key = failure.code === 'AccessDeniedException' ? 'Message' : 'message';
  writeError(res, failure.status, `com.amazon.coral.service#${failure.code}`, key, failure.message);
}

function writeError(res: ServerResponse, status: number, type: string, key: string, message: string): void {
  const payload = JSON.stringify({ __type: type, [key]: message });
  res.writeHead(status, {
    'x-amzn-RequestId': randomBytes(39).toString('base64').toUpperCase().replace(/[+/]/g, '0'),
    'x-amz-crc32': crc32(payload),
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': Buffer.byteLength(payload),
  });
  res.end(payload);
}
