import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.ts';
import { runCli } from '../../cli/main.ts';
import { parseMainJobFlags } from '../../cli/main-job/flags.ts';
import { createCsrPem, generatePrivateKeyPem } from '../../device/agent/crypto.ts';
import { createObservability, wrapHandler } from '../../functions/shared/observability.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../local/config.ts';
import { FunctionLogFile } from '../../local/lambda/function-log-file.ts';
import { functionLogPaths } from '../../local/lambda/function-log-format.ts';
import { FunctionRegistry } from '../../local/lambda/registry.ts';
import { eventually } from '../e2e/helpers.ts';
import { type CliRun, runIn } from './helpers/local-aws.ts';
import { pemBody } from './helpers/pem-body.ts';

const THING = 'logs-thing';

/** A task token as long and as opaque as Step Functions' own. */
const taskToken = (): string => randomBytes(180).toString('base64url');

interface Said {
  readonly message: string;
  readonly taskToken?: string;
  readonly pem?: string;
}

/**
 * A function that logs as recert's do (Powertools Logger through the middy middlewares), run by the
 * local Lambda with its writes captured into the functions' log of a state directory.
 */
async function loggingFunction(stateDir: string, options: { maxBytes?: number } = {}) {
  const file = await FunctionLogFile.open(stateDir, { flushMs: 5, ...options });
  const registry = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
  const observability = createObservability('device-reply', { logLevel: 'INFO' });
  observability.metrics.setThrowOnEmptyMetrics(false);
  const handler = wrapHandler(observability, async (event) => {
    const said = event as Said;
    observability.logger.appendKeys({ thingName: THING });
    observability.logger.info(said.message, {
      ...(said.taskToken ? { taskToken: said.taskToken, note: `resumes with ${said.taskToken}` } : {}),
      ...(said.pem ? { certificate: said.pem } : {}),
    });
    return 'ok';
  });
  registry.register('recert-device-reply', handler);
  file.captureAll(registry);
  return {
    say: async (said: Said) => {
      await registry.invoke('recert-device-reply', said);
      await file.flush();
    },
    close: () => file.close(),
  };
}

describe('recert logs over a state directory', () => {
  let stateDir = '';
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'recert-logs-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });
  const run = (argv: string[]): Promise<CliRun> =>
    runIn(['logs', '--local', '--state-dir', stateDir, ...argv], {}, stateDir);

  it('keeps a secret a function logs out of the file, and out of what it prints', async () => {
    // Prepare
    const token = taskToken();
    const keyPem = await generatePrivateKeyPem('ec-p256');
    const csrPem = await createCsrPem(keyPem, THING);
    const fn = await loggingFunction(stateDir);

    // Act
    await fn.say({ message: 'waiting for the device', taskToken: token, pem: `${csrPem}\n${keyPem}` });
    await fn.close();
    const text = await run(['--thing', THING]);
    const json = await run(['--thing', THING, '--json']);

    // Assess
    const file = await import('node:fs/promises').then((fs) =>
      fs.readFile(functionLogPaths(stateDir).current, 'utf8'),
    );
    for (const output of [file, text.stdout, json.stdout]) {
      expect(output).toContain('waiting for the device');
      expect(output).not.toContain(token);
      expect(output).not.toContain(pemBody(csrPem));
      expect(output).not.toContain(pemBody(keyPem));
    }
    const entries = json.stdout.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.find((entry) => entry.message === 'waiting for the device')).toMatchObject({
      functionName: 'recert-device-reply',
      thingName: THING,
      taskToken: `[taskToken hidden, ${token.length} characters]`,
    });
  });

  it('hides a secret written to the file some other way when it prints it', async () => {
    // Prepare
    const token = taskToken();
    const keyPem = await generatePrivateKeyPem('ec-p256');
    const fn = await loggingFunction(stateDir);
    await fn.say({ message: 'first' });
    await fn.close();
    const raw = {
      time: new Date().toISOString(),
      functionName: 'recert-request-csr',
      requestId: 'r-1',
      stream: 'stdout',
      record: { level: 'INFO', message: `token ${token}`, thingName: THING, taskToken: token, key: keyPem },
    };
    await appendFile(functionLogPaths(stateDir).current, `${JSON.stringify(raw)}\n`);

    // Act
    const shown = await run(['--thing', THING]);

    // Assess
    expect(shown.code).toBe(EXIT.ok);
    expect(shown.stdout).toMatch(/INFO\s+request-csr\s+logs-thing\s+token \[token hidden, \d+ characters\]/);
    expect(shown.stdout).not.toContain(token);
    expect(shown.stdout).not.toContain(pemBody(keyPem));
  });

  it('--follow prints lines written after it started, after the file rotated too, and stops on abort', async () => {
    // Prepare: every write past the first rotates the file.
    const fn = await loggingFunction(stateDir, { maxBytes: 1 });
    await fn.say({ message: 'before following' });
    const out: string[] = [];
    const controller = new AbortController();
    const following = runCli(['logs', '--local', '--state-dir', stateDir, '--follow', '--thing', THING], {
      stdout: (line) => out.push(line),
      stderr: (line) => out.push(line),
      env: {},
      cwd: stateDir,
      signal: controller.signal,
    });
    await eventually('the line written before', async () =>
      out.some((line) => line.includes('before following')) ? true : undefined,
    );

    // Act
    await fn.say({ message: 'after following started' });
    await eventually('the line written after', async () =>
      out.some((line) => line.includes('after following started')) ? true : undefined,
    );
    await fn.say({ message: 'after another rotation' });
    await eventually('the line after the rotation', async () =>
      out.some((line) => line.includes('after another rotation')) ? true : undefined,
    );
    controller.abort();
    const code = await following;
    await fn.close();

    // Assess
    expect(code).toBe(EXIT.ok);
    expect((await stat(functionLogPaths(stateDir).previous)).size).toBeGreaterThan(0);
    expect(out.filter((line) => /device reply|following|rotation/.test(line))).toEqual([
      expect.stringMatching(/INFO\s+device-reply\s+logs-thing\s+before following/),
      expect.stringMatching(/after following started/),
      expect.stringMatching(/after another rotation/),
    ]);
  });

  it('says how to get the logs when the local AWS keeps none', async () => {
    // Act
    const result = await run([]);

    // Assess
    expect(result.code).toBe(EXIT.unavailable);
    expect(result.stderr).toContain(`the local AWS keeps no function logs in ${stateDir}`);
    expect(result.stderr).toContain('recert local up --log-level info');
  });

  it('on AWS, points at CloudWatch Logs and its log groups', async () => {
    // Act
    const result = await runIn(['logs', '--thing', THING], {}, stateDir);

    // Assess
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('CloudWatch Logs');
    expect(result.stderr).toContain('Recert-Functionsdevicereplylogs');
  });

  it.each([
    [['--level', 'loud'], '--level "loud" is not one of debug, info, warn or error'],
    [['--rotation', 'r-1'], '--rotation "r-1" is not a rotationId (a UUID)'],
    [
      ['--function', 'reply'],
      `--function "reply" is not one of recert's functions: audit-fanout, request-csr`,
    ],
    [['--since', 'yesterday'], '--since "yesterday" is neither a duration'],
    [['--thing', 'no spaces'], '"no spaces" is not a valid thing name'],
    [['--output', 'csv'], '--output "csv" is not one of table, json'],
    [['--tail'], "Unknown option '--tail'"],
  ])('refuses %j with a clear error', async (args, message) => {
    // Act
    const result = await run(args);

    // Assess
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain(message);
  });

  it('local up refuses an unknown --log-level, and other subcommands refuse the flag', async () => {
    // Act
    const up = await runIn(['local', 'up', '--state-dir', stateDir, '--log-level', 'loud'], {}, stateDir);
    const status = await runIn(['local', 'status', '--log-level', 'info'], {}, stateDir);

    // Assess
    expect(up.code).toBe(EXIT.usage);
    expect(up.stderr).toContain('--log-level "loud" is not one of debug, info, warn, error or silent');
    expect(status.code).toBe(EXIT.usage);
    expect(status.stderr).toContain('--log-level go with "local up"');
  });

  it("npm start's --log-level takes the same levels", () => {
    // Act
    const parsed = parseMainJobFlags(['--log-level', 'warn']);
    const silent = parseMainJobFlags(['--log-level', 'silent']);

    // Assess
    expect(parsed).toMatchObject({ help: false, flags: { functionLogLevel: 'warn' } });
    expect(silent.help === false && silent.flags.functionLogLevel).toBeUndefined();
    expect(() => parseMainJobFlags(['--log-level', 'loud'])).toThrow(
      '--log-level "loud" is not one of debug, info, warn, error or silent',
    );
  });
});
