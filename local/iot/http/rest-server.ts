/**
 * The restJson1 HTTP server that the IoT control plane, the data plane, the rules engine and the
 * audit share. It answers every failure the way AWS does (status, `x-amzn-ErrorType`, `{"message"}`),
 * so the SDK raises the same named exceptions, and no request can take it down.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import { namedError } from '../../../lib/named-error.ts';
import { readBodyDraining } from '../../http-request.ts';
import type { AccessCheck } from '../../iam/types.ts';
import { boundPort, listenOn } from '../../listen.ts';
import {
  InternalFailureException,
  InvalidRequestException,
  MethodNotAllowedException,
  RequestEntityTooLargeException,
  ResourceAlreadyExistsException,
  UnknownOperationException,
} from '../errors.ts';
import { RestError, type RestRequest, type RestResponse, type RestRoute } from '../interfaces.ts';
import { RouteTable } from './route-table.ts';

/** AWS IoT rejects control-plane bodies far below this; it only bounds memory. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface RestServerOptions {
  readonly maxBodyBytes?: number;
  /** Called for failures that are the server's fault (500), never for the client's. */
  readonly onInternalError?: (error: unknown, operation: string) => void;
  /**
   * Asked before each routed operation runs (after its body is parsed, before the route validates
   * it), with a `RestAccessInput`; a refusal is answered as AWS IoT answers one. None: all allowed.
   */
  readonly accessCheck?: AccessCheck;
}

/** What the access check reads of a restJson1 request: the path labels decoded, as the route sees them. */
export interface RestAccessInput {
  readonly pathParams: Readonly<Record<string, string>>;
  /** The query string decoded, as the route reads it. */
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body parsed as JSON; undefined when empty or for a raw-payload route (data-plane Publish). */
  readonly body: unknown;
}

class BodyTooLargeError extends namedError('BodyTooLargeError') {}

export class RestServer {
  private readonly table = new RouteTable();
  private readonly maxBodyBytes: number;
  /** Requests per operation that reached a route, answered or refused (AWS bills quotas so). */
  private readonly calls = new Map<string, number>();
  private readonly server: Server;

  constructor(private readonly options: RestServerOptions = {}) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        this.options.onInternalError?.(error, 'unknown');
        if (!res.headersSent) writeError(res, new InternalFailureException('internal failure'));
        else res.destroy();
      });
    });
    // A client that sends garbage at the HTTP layer gets a 400 and the socket is closed.
    this.server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  addRoutes(routes: readonly RestRoute[]): void {
    this.table.add(routes);
  }

  /** How many requests each operation received since the server was made. */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.calls);
  }

  async listen(port: number, host: string): Promise<number> {
    return listenOn(this.server, port, host);
  }

  port(): number {
    return boundPort(this.server, 'REST server');
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    let url: URL;
    try {
      // Prefixing the origin keeps a path like `//x` a path rather than a host.
      url = new URL(`http://localhost${target.startsWith('/') ? '' : '/'}${target}`);
    } catch {
      writeError(res, new InvalidRequestException('the request target is not a valid URL'));
      return;
    }
    const method = req.method ?? 'GET';
    let rawBody: Buffer;
    try {
      rawBody = await readBody(req, this.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        writeError(res, new RequestEntityTooLargeException(error.message), true);
        return;
      }
      throw error;
    }
    // The raw path keeps percent-encoding so an encoded '/' stays inside its label.
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const lookup = this.table.lookup(method, rawPath);
    if (lookup.kind === 'not-found') {
      writeError(res, new UnknownOperationException(`no operation matches ${method} ${url.pathname}`));
      return;
    }
    if (lookup.kind === 'wrong-method') {
      writeError(
        res,
        new MethodNotAllowedException(
          `${method} is not allowed on ${url.pathname}; use ${lookup.allowed.join(', ')}`,
        ),
      );
      return;
    }
    const { route, pathParams } = lookup;
    this.calls.set(route.operation, (this.calls.get(route.operation) ?? 0) + 1);
    let response: RestResponse;
    try {
      const body = route.rawPayload ? undefined : parseJsonBody(rawBody);
      const refusal = this.options.accessCheck?.(
        {
          method,
          rawPath,
          rawQuery: target.includes('?') ? target.slice(target.indexOf('?') + 1) : '',
          headers: req.headers,
          body: rawBody,
        },
        route.operation,
        {
          pathParams,
          query: url.searchParams,
          headers: req.headers,
          body,
        } satisfies RestAccessInput,
      );
      if (refusal) {
        writeError(res, new RestError(refusal.status, refusal.code, refusal.message));
        return;
      }
      const request: RestRequest = {
        operation: route.operation,
        method,
        path: url.pathname,
        pathParams,
        query: url.searchParams,
        headers: req.headers,
        body,
        rawBody,
      };
      response = await route.handle(request);
    } catch (error) {
      if (error instanceof RestError) {
        if (error.status >= 500) this.options.onInternalError?.(error, route.operation);
        writeError(res, error);
        return;
      }
      if (error instanceof ZodError) {
        writeError(res, new InvalidRequestException(describeZodError(route.operation, error)));
        return;
      }
      this.options.onInternalError?.(error, route.operation);
      writeError(res, new InternalFailureException(`${route.operation} failed unexpectedly`));
      return;
    }
    writeResponse(res, response);
  }
}

/** The body; BodyTooLargeError (after the rest is drained) when it passes `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  const body = await readBodyDraining(req, limit);
  if (body !== undefined) return body;
  throw new BodyTooLargeError(
    declared > limit
      ? `request body of ${declared} bytes exceeds ${limit}`
      : `request body exceeds ${limit} bytes`,
  );
}

function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestException('request body is not valid JSON', { cause: error });
  }
}

function describeZodError(operation: string, error: ZodError): string {
  const issues = error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'request'}: ${issue.message}`);
  return `invalid ${operation} request: ${issues.join('; ')}`;
}

function writeError(res: ServerResponse, error: RestError, closeConnection = false): void {
  const body: Record<string, string> = { message: error.message };
  if (error instanceof ResourceAlreadyExistsException) {
    body.resourceId = error.resourceId;
    body.resourceArn = error.resourceArn;
  }
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-errortype': error.code,
    'x-amzn-requestid': randomUUID(),
  };
  if (closeConnection) headers.connection = 'close';
  res.writeHead(error.status, headers);
  res.end(text);
}

function writeResponse(res: ServerResponse, response: RestResponse): void {
  const headers: Record<string, string | number> = { ...response.headers };
  let payload: Buffer;
  if (response.body === undefined) {
    payload = Buffer.alloc(0);
  } else if (Buffer.isBuffer(response.body)) {
    payload = response.body;
    headers['content-type'] ??= 'application/octet-stream';
  } else {
    payload = Buffer.from(JSON.stringify(response.body));
    headers['content-type'] ??= 'application/json';
  }
  headers['content-length'] = payload.length;
  headers['x-amzn-requestid'] ??= randomUUID();
  res.writeHead(response.status, headers);
  res.end(payload);
}
