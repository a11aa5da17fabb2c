import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createTarget } from '../../cli/target/clients.ts';
import { CONSOLE_HOST, type RunningConsole, startConsole } from '../../console/server.ts';

/** A target whose endpoints nothing listens on: the requests tested here are answered before any call. */
const target = createTarget(
  'local',
  {
    region: 'us-east-1',
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:recert-rotate-device',
    rotationTableName: 'recert-rotations',
    escalationTopicArn: 'arn:aws:sns:us-east-1:000000000000:escalations',
    auditTopicArn: 'arn:aws:sns:us-east-1:000000000000:audit',
  },
  {
    region: 'us-east-1',
    endpoints: {
      stepFunctions: 'http://127.0.0.1:9',
      iot: 'http://127.0.0.1:9',
      dynamodb: 'http://127.0.0.1:9',
    },
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'not-a-secret' },
  },
);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP request, so the Host, Origin and Cookie headers are exactly what the test says. */
function send(
  console: RunningConsole,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: CONSOLE_HOST,
        port: console.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const form = (fields: Record<string, string>): { headers: Record<string, string>; body: string } => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describe('the console server', () => {
  let running: RunningConsole | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  async function start(readOnly = false): Promise<{ console: RunningConsole; cookie: string }> {
    running = await startConsole({ target, readOnly });
    const cookie = `recert_console=${running.session.token}`;
    return { console: running, cookie };
  }

  it('listens on 127.0.0.1 only, and prints a URL there that carries the session token', async () => {
    // Act
    const { console } = await start();

    // Assess
    const url = new URL(console.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.searchParams.get('token')).toBe(console.session.token);
    expect(console.session.token.length).toBeGreaterThanOrEqual(32);
  });

  it('trades the token in the URL for an HttpOnly cookie, and refuses requests with neither', async () => {
    // Prepare
    const { console } = await start();

    // Act
    const withToken = await send(console, `/rotations?token=${console.session.token}&status=FAILED`);
    const wrongToken = await send(console, '/?token=guessed');
    const bare = await send(console, '/');
    const bareAsset = await send(console, '/assets/console.js');

    // Assess
    expect(withToken.status).toBe(303);
    expect(withToken.headers.location).toBe('/rotations?status=FAILED');
    expect(String(withToken.headers['set-cookie'])).toMatch(
      /^recert_console=[^;]+; HttpOnly; SameSite=Strict/,
    );
    expect(wrongToken.status).toBe(401);
    expect(bare.status).toBe(401);
    expect(bareAsset.status).toBe(401);
  });

  it('answers only to a loopback host name, against DNS rebinding', async () => {
    // Prepare
    const { console, cookie } = await start();

    // Act
    const rebound = await send(console, '/assets/console.css', {
      headers: { host: `attacker.example:${console.port}`, cookie },
    });
    const local = await send(console, '/assets/console.css', {
      headers: { host: `localhost:${console.port}`, cookie },
    });

    // Assess
    expect(rebound.status).toBe(421);
    expect(local.status).toBe(200);
    expect(local.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('refuses an action without the CSRF token, with a wrong one, and from another origin', async () => {
    // Prepare
    const { console, cookie } = await start();
    const fields = { thing: 'sensor-1' };

    // Act
    const missing = await send(console, '/actions/redrive', {
      method: 'POST',
      ...form(fields),
      headers: { ...form(fields).headers, cookie },
    });
    const wrong = await send(console, '/actions/redrive', {
      method: 'POST',
      body: form({ ...fields, csrf: 'x'.repeat(32) }).body,
      headers: { ...form(fields).headers, cookie },
    });
    const crossSite = await send(console, '/actions/redrive', {
      method: 'POST',
      body: form({ ...fields, csrf: console.session.csrf }).body,
      headers: { ...form(fields).headers, cookie, origin: 'https://attacker.example' },
    });
    const noCookie = await send(console, '/actions/redrive', {
      method: 'POST',
      body: form({ ...fields, csrf: console.session.csrf }).body,
      headers: form(fields).headers,
    });

    // Assess
    expect([missing.status, wrong.status, crossSite.status, noCookie.status]).toEqual([403, 403, 403, 401]);
    expect(missing.body).toContain('CSRF');
    expect(crossSite.body).toContain('another site');
  });

  it('runs an action with the CSRF token, and shows a refusal of bad input on the page it came from', async () => {
    // Prepare
    const { console, cookie } = await start();

    // Act: a thing name the CLI refuses, so nothing reaches AWS.
    const answer = await send(console, '/actions/redrive', {
      method: 'POST',
      body: form({ thing: 'no spaces allowed', csrf: console.session.csrf, returnTo: '/rotations' }).body,
      headers: { ...form({}).headers, cookie, origin: console.origin },
    });

    // Assess
    expect(answer.status).toBe(303);
    const location = new URL(String(answer.headers.location), console.origin);
    expect(location.pathname).toBe('/rotations');
    expect(location.searchParams.get('error')).toContain('is not a valid thing name');
  });

  it('never sends a redirect after an action to another site', async () => {
    // Prepare
    const { console, cookie } = await start();

    // Act
    const answer = await send(console, '/actions/redrive', {
      method: 'POST',
      body: form({ thing: 'bad name', csrf: console.session.csrf, returnTo: '//attacker.example/' }).body,
      headers: { ...form({}).headers, cookie },
    });

    // Assess
    expect(String(answer.headers.location)).toMatch(/^\/\?error=/);
  });

  it('refuses every action when read-only, and its pages carry no CSRF token', async () => {
    // Prepare
    const { console, cookie } = await start(true);

    // Act
    const answer = await send(console, '/actions/audit', {
      method: 'POST',
      body: form({ csrf: console.session.csrf }).body,
      headers: { ...form({}).headers, cookie },
    });
    const notFound = await send(console, '/nothing-here', { headers: { cookie } });

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('read-only');
    expect(notFound.status).toBe(404);
    expect(notFound.body).not.toContain(console.session.csrf);
    expect(notFound.body).toContain('read-only');
  });
});
