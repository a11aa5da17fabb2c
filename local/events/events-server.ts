import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readBodyUpTo } from '../../lib/http-body.ts';
import { LOCAL_HOST } from '../config.ts';
import { signedRequestOf } from '../http-request.ts';
import type { AccessCheck, AuthFailure } from '../iam/types.ts';
import { closeListening, listenOn } from '../listen.ts';
import type { LocalEventBridge } from './eventbridge.ts';
import { handleEventBridgeJson } from './eventbridge-json.ts';
import type { LocalSns } from './sns.ts';
import { handleSnsQuery, fail as snsQueryError } from './sns-query.ts';

const MAX_BODY_BYTES = 1024 * 1024;

export interface EventsServerOptions {
  readonly sns: LocalSns;
  readonly eventBridge: LocalEventBridge;
  /** 0 picks a free port. */
  readonly port?: number;
  /**
   * Asked before each SNS action runs, with its `Action` and the form's parameters
   * (`Record<string, string>`); a refusal is answered as an awsQuery `<ErrorResponse>`.
   */
  readonly snsAccessCheck?: AccessCheck;
  /**
   * Asked before each EventBridge operation (`AWSEvents.<Operation>`) runs whose body is JSON, with
   * the operation's name and the parsed body; a refusal is answered as `{"__type", "message"}`.
   */
  readonly eventsAccessCheck?: AccessCheck;
}

/**
 * One HTTP server on loopback for SNS (awsQuery, form-encoded) and EventBridge (awsJson1_1,
 * `X-Amz-Target: AWSEvents.*`), dispatched on the request's target header and content type.
 */
export class LocalEventsServer {
  private readonly server: Server;
  private url: string | undefined;

  constructor(private readonly options: EventsServerOptions) {
    this.server = createServer((req, res) => {
      void this.serve(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`internal error: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
  }

  async start(): Promise<string> {
    const port = await listenOn(this.server, this.options.port ?? 0, LOCAL_HOST);
    this.url = `http://${LOCAL_HOST}:${port}`;
    return this.url;
  }

  get endpoint(): string {
    if (!this.url) throw new Error('events server is not started');
    return this.url;
  }

  async close(): Promise<void> {
    await closeListening(this.server);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBodyUpTo(req, MAX_BODY_BYTES);
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'text/plain' });
      res.end('request body too large');
      return;
    }
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && target.startsWith('AWSEvents.')) {
      const operation = target.slice('AWSEvents.'.length);
      const refusal = this.eventsRefusal(req, operation, body);
      const reply = refusal
        ? { status: refusal.status, body: { __type: refusal.code, message: refusal.message } }
        : await handleEventBridgeJson(this.options.eventBridge, operation, body.toString('utf8'));
      res.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(reply.body));
      return;
    }
    const contentType = req.headers['content-type'] ?? '';
    if (req.method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded')) {
      const text = body.toString('utf8');
      const refusal = this.snsRefusal(req, body, text);
      const reply = refusal
        ? snsQueryError(refusal.status, refusal.code, refusal.message)
        : await handleSnsQuery(this.options.sns, text);
      res.writeHead(reply.status, { 'content-type': 'text/xml' });
      res.end(reply.body);
      return;
    }
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(
      'expected an SNS query (form-encoded POST) or an EventBridge request (X-Amz-Target: AWSEvents.*)',
    );
  }

  /** A body that is not JSON is not checked: handleEventBridgeJson refuses it as EventBridge does. */
  private eventsRefusal(req: IncomingMessage, operation: string, body: Buffer): AuthFailure | undefined {
    const check = this.options.eventsAccessCheck;
    if (!check) return undefined;
    let input: unknown;
    try {
      const text = body.toString('utf8');
      input = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return undefined;
    }
    return check(signedRequestOf(req, body), operation, input);
  }

  /** A query without an Action is not checked: handleSnsQuery answers it InvalidAction. */
  private snsRefusal(req: IncomingMessage, body: Buffer, text: string): AuthFailure | undefined {
    const check = this.options.snsAccessCheck;
    if (!check) return undefined;
    const form = new URLSearchParams(text);
    // The Action handleSnsQuery will run (the first, should the form repeat it).
    const action = form.get('Action') ?? '';
    return action === '' ? undefined : check(signedRequestOf(req, body), action, Object.fromEntries(form));
  }
}
