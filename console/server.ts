import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Target } from '../cli/index.ts';
import { readBodyUpTo } from '../lib/http-body.ts';
import { readDefinitionTemplate } from '../workflows/rotate-device/render.ts';
import { aslGraph } from './asl-graph.ts';
import type { ConsoleContext } from './context.ts';
import { ExpiryCache } from './data/expiry.ts';
import { getPage, parseForm, postAction, type Reply } from './routes.ts';
import { ConsoleSession, loopbackHost, sameOrigin } from './session.ts';

/** The only address the console listens on: it acts with the operator's credentials. */
export const CONSOLE_HOST = '127.0.0.1';
const MAX_FORM_BYTES = 16 * 1024;

const ASSETS: Readonly<Record<string, string>> = {
  '/assets/console.css': 'text/css; charset=utf-8',
  '/assets/console.js': 'text/javascript; charset=utf-8',
};

/** Every page forbids framing, inline script and any origin but this one. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on form posts.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
} as const;

export interface ConsoleOptions {
  readonly target: Target;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly readOnly?: boolean;
  readonly now?: () => number;
}

export interface RunningConsole {
  /** The URL to open: it carries the session token once. */
  readonly url: string;
  /** The console's address without the token. */
  readonly origin: string;
  readonly port: number;
  readonly session: ConsoleSession;
  readonly context: ConsoleContext;
  close(): Promise<void>;
}

/**
 * The assets beside this module; from the source folder when this module runs built into dist/
 * (the build transpiles code and leaves stylesheets and browser scripts where they are).
 */
async function loadAssets(): Promise<Map<string, Buffer>> {
  const assets = new Map<string, Buffer>();
  for (const path of Object.keys(ASSETS)) {
    const beside = new URL(`.${path}`, import.meta.url);
    const source = new URL(`../../console${path}`, import.meta.url);
    assets.set(path, await readFile(beside).catch(() => readFile(source)));
  }
  return assets;
}

function send(res: ServerResponse, reply: Reply, extra: Record<string, string> = {}): void {
  const headers: Record<string, string> = { ...SECURITY_HEADERS, ...extra };
  if (reply.location !== undefined) headers.Location = reply.location;
  if (reply.body !== undefined) {
    headers['Content-Type'] ??= reply.body.startsWith('<!doctype')
      ? 'text/html; charset=utf-8'
      : 'text/plain; charset=utf-8';
  }
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

/**
 * Serves the console on 127.0.0.1. A request must name the server by a loopback host, and carry the
 * session cookie (set when the printed URL's token is presented); a POST must also come from this
 * origin and repeat the CSRF token, and is refused outright in read-only mode.
 */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const now = options.now ?? Date.now;
  const session = new ConsoleSession();
  const context: ConsoleContext = {
    target: options.target,
    now,
    readOnly: options.readOnly === true,
    rotateGraph: aslGraph(readDefinitionTemplate()),
    expiry: new ExpiryCache(options.target, now),
  };
  const assets = await loadAssets();
  let port = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!loopbackHost(req.headers.host, port)) {
      send(res, { status: 421, body: 'the console answers only to 127.0.0.1 and localhost' });
      return;
    }
    const url = new URL(req.url ?? '/', `http://${CONSOLE_HOST}:${port}`);
    const token = url.searchParams.get('token');
    if (token !== null) {
      if (session.tokenMatches(token)) {
        url.searchParams.delete('token');
        send(
          res,
          { status: 303, location: `${url.pathname}${url.search}` },
          { 'Set-Cookie': session.cookie() },
        );
      } else send(res, { status: 401, body: 'this session token is not the one recert console printed' });
      return;
    }
    if (!session.authenticated(req)) {
      send(res, {
        status: 401,
        body: 'open the URL that "recert console" printed: it carries the session token',
      });
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (url.pathname === '/favicon.ico') {
        send(res, { status: 204 });
        return;
      }
      const asset = assets.get(url.pathname);
      const type = ASSETS[url.pathname];
      if (asset !== undefined && type !== undefined) {
        res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type });
        res.end(asset);
        return;
      }
      send(res, await getPage(context, { url, csrf: context.readOnly ? undefined : session.csrf }));
      return;
    }
    if (req.method !== 'POST') {
      send(
        res,
        { status: 405, body: `method ${req.method ?? '?'} is not allowed` },
        { Allow: 'GET, HEAD, POST' },
      );
      return;
    }
    const action = /^\/actions\/([a-z-]+)$/.exec(url.pathname)?.[1];
    if (action === undefined) {
      send(res, { status: 404, body: `no action at ${url.pathname}` });
      return;
    }
    if (context.readOnly) {
      send(res, { status: 403, body: 'the console runs read-only (--read-only): actions are refused' });
      return;
    }
    const origin = req.headers.origin;
    if (!sameOrigin(typeof origin === 'string' ? origin : undefined, port)) {
      send(res, { status: 403, body: 'refused: the request comes from another site' });
      return;
    }
    const body = await readBodyUpTo(req, MAX_FORM_BYTES);
    const form = body === undefined ? undefined : parseForm(body, req);
    if (form === undefined) {
      send(res, { status: 400, body: 'an action takes a urlencoded form of at most 16 KiB' });
      return;
    }
    if (!session.csrfMatches(form.get('csrf'))) {
      send(res, {
        status: 403,
        body: 'refused: the CSRF token is missing or wrong (reload the page and try again)',
      });
      return;
    }
    send(res, await postAction(context, action, form));
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: `the console failed: ${String(error)}` });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, CONSOLE_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the console is not listening');
  port = address.port;
  const origin = `http://${CONSOLE_HOST}:${port}`;
  return {
    url: `${origin}/?token=${session.token}`,
    origin,
    port,
    session,
    context,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
