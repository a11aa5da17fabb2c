import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.ts';
import { type CliIo, runCli } from '../../cli/main.ts';
import { eventually, startLocal, stopLocal } from '../e2e/helpers.ts';

function io(signal?: AbortSignal): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    env: {},
    cwd: process.cwd(),
    ...(signal ? { signal } : {}),
  };
}

describe('recert console', () => {
  let env: Awaited<ReturnType<typeof startLocal>> | undefined;
  beforeAll(async () => {
    env = await startLocal();
  });
  afterAll(async () => {
    await stopLocal(env);
  });

  it('serves the local AWS until stopped, at the URL it prints', async () => {
    // Prepare
    const stop = new AbortController();
    const cli = io(stop.signal);

    // Act
    const exit = runCli(['console', '--local', '--state-dir', env?.dir ?? ''], cli);
    const url = await eventually(
      'the printed URL',
      async () => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(cli.out.join('\n'))?.[0],
    );
    const first = await fetch(url, { redirect: 'manual' });
    const cookie = String(first.headers.get('set-cookie')).split(';')[0] ?? '';
    const overview = await fetch(new URL('/', url), { headers: { cookie } });
    stop.abort();

    // Assess
    expect(first.status).toBe(303);
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain('Fleet overview');
    expect(await exit).toBe(EXIT.ok);
    await expect(fetch(new URL('/', url))).rejects.toThrow();
  });

  it('refuses a bad port, arguments, and a local AWS that is not running, each with a clear message', async () => {
    // Act
    const port = io();
    const extra = io();
    const down = io();
    const codes = [
      await runCli(['console', '--port', '70000'], port),
      await runCli(['console', 'now'], extra),
      await runCli(['console', '--local', '--state-dir', '/nonexistent/recert'], down),
    ];

    // Assess
    expect(codes).toEqual([EXIT.usage, EXIT.usage, EXIT.unavailable]);
    expect(port.err.join('\n')).toContain('--port "70000" is not a whole number from 1 to 65535');
    expect(extra.err.join('\n')).toContain("Unexpected argument 'now'");
    expect(down.err.join('\n')).toContain('the local AWS is not running');
  });
});
