import { createServer, type Server } from 'node:http';
import { IoTClient } from '@aws-sdk/client-iot';
import { LOCAL_CREDENTIALS, LOCAL_HOST, LOCAL_REGION } from '../../../../../local/config.ts';
import { RestError, type RestRoute } from '../../../../../local/iot/interfaces.ts';

/**
 * A minimal restJson1 server for a route table, so route tests can use the real IoT SDK client
 * before and independently of the local IoT Core's own HTTP server.
 */
export class RestHarness {
  private readonly server: Server;

  constructor(private readonly routes: readonly RestRoute[]) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void this.dispatch(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks)).then(
          ({ status, body, headers }) => {
            res.writeHead(status, { 'content-type': 'application/json', ...headers });
            res.end(body === undefined ? '' : JSON.stringify(body));
          },
        );
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, LOCAL_HOST, resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('harness has no TCP address');
    return `http://${LOCAL_HOST}:${address.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async client(): Promise<IoTClient> {
    const endpoint = await this.start();
    return new IoTClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  }

  private async dispatch(
    method: string,
    url: string,
    headers: Record<string, string | string[] | undefined>,
    rawBody: Buffer,
  ): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    const parsed = new URL(url, 'http://local');
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const pathParams = matchPath(route.path, parsed.pathname);
      if (!pathParams) continue;
      try {
        const body = rawBody.length > 0 ? JSON.parse(rawBody.toString('utf8')) : undefined;
        const response = await route.handle({
          operation: route.operation,
          method,
          path: parsed.pathname,
          pathParams,
          query: parsed.searchParams,
          headers,
          body,
          rawBody,
        });
        return { status: response.status, body: response.body, headers: { ...response.headers } };
      } catch (error) {
        if (error instanceof RestError) {
          return {
            status: error.status,
            body: { message: error.message },
            headers: { 'x-amzn-ErrorType': error.code },
          };
        }
        return {
          status: 500,
          body: { message: String(error) },
          headers: { 'x-amzn-ErrorType': 'InternalFailureException' },
        };
      }
    }
    return {
      status: 404,
      body: { message: `no route for ${method} ${parsed.pathname}` },
      headers: { 'x-amzn-ErrorType': 'ResourceNotFoundException' },
    };
  }
}

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const actual = got[i] ?? '';
    const label = /^\{(\w+)\}$/.exec(segment);
    if (label?.[1]) params[label[1]] = decodeURIComponent(actual);
    else if (segment !== actual) return undefined;
  }
  return params;
}
