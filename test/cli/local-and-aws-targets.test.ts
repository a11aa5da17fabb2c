import { type ChildProcess, spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../../cli/exit-codes.ts';
import { loadLocalAwsControl } from '../../cli/local-aws-control.ts';
import { runCli } from '../../cli/main.ts';
import type { LocalAwsManifest } from '../../local/stack/types.ts';
import { type CliRun, runIn, untilManifestIo, useCliHarness } from './helpers/local-aws.ts';
import { standInManifest } from './helpers/stand-in-manifest.ts';

let dir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recert-cli-local-'));
});
afterAll(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function manifestFor(pid: number, port: number): LocalAwsManifest {
  const url = `http://127.0.0.1:${port}`;
  return standInManifest({ pid, url, mqttPort: port, rootCaPath: join(dir, 'root-ca.pem'), clockSpeed: 60 });
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('recert local down and status', () => {
  it('stops the process named in the manifest with SIGTERM and removes the manifest', async () => {
    // Prepare: a process standing in for a running local AWS (nothing listens on port 1).
    const stateDir = join(dir, 'running');
    await mkdir(stateDir, { recursive: true });
    child = spawn(
      process.execPath,
      ['-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);"],
      {
        stdio: 'ignore',
      },
    );
    const pid = child.pid ?? 0;
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    await writeFile(join(stateDir, 'endpoints.json'), JSON.stringify(manifestFor(pid, 1)));
    const run = (argv: string[]) => runIn([...argv, '--state-dir', stateDir], {}, dir);
    // Act
    const status = await run(['local', 'status', '--json']);
    const down = await run(['local', 'down']);
    const again = await run(['local', 'down']);
    const after = await run(['local', 'status']);
    // Assess: running but not answering is exit 1; stopped is 3.
    expect(status.code).toBe(EXIT.failed);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, healthy: false });
    expect(down.code).toBe(EXIT.ok);
    expect(down.stdout).toContain(`Stopped the local AWS (process ${pid})`);
    await exited;
    expect(await exists(join(stateDir, 'endpoints.json'))).toBe(false);
    expect(again.code).toBe(EXIT.ok);
    expect(again.stdout).toContain('not running');
    expect(after.code).toBe(EXIT.unavailable);
  });

  it('removes a stale manifest whose process has exited', async () => {
    const stateDir = join(dir, 'stale');
    await mkdir(stateDir, { recursive: true });
    await writeFile(join(stateDir, 'endpoints.json'), JSON.stringify(manifestFor(2 ** 30, 1)));
    const result = await runIn(['local', 'down', '--state-dir', stateDir], {}, dir);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain('removed its stale manifest');
    expect(await exists(join(stateDir, 'endpoints.json'))).toBe(false);
  });
});

describe('recert local status on a running local AWS', () => {
  const h = useCliHarness();

  it('checks every endpoint and exits 0', async () => {
    const result = await h().run(['local', 'status']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain(`Running: process ${process.pid}`);
    for (const service of ['Step Functions', 'IoT', 'DynamoDB', 'SNS', 'EventBridge', 'MQTT']) {
      expect(result.stdout).toMatch(new RegExp(`${service}\\s+\\S+\\s+yes`));
    }
  });

  it('refuses "local up" while it runs from the same state directory (exit 5)', async () => {
    const result = await h().run(['local', 'up']);
    expect(result.code).toBe(EXIT.refused);
    expect(result.stderr).toContain('already runs from');
  });
});

describe('recert local up', () => {
  it('says clearly when the local AWS is not part of the build (exit 3)', async () => {
    // Prepare
    const out: string[] = [];
    const err: string[] = [];
    // Act
    const code = await runCli(
      ['local', 'up', '--state-dir', join(dir, 'up-missing')],
      { stdout: (l) => out.push(l), stderr: (l) => err.push(l), env: {}, cwd: dir },
      { loadLocalAws: () => loadLocalAwsControl('../local/stack/not-built.ts') },
    );
    // Assess
    expect(code).toBe(EXIT.unavailable);
    expect(err.join('\n')).toContain(
      'recert local up is not available: the local AWS is not part of this build',
    );
    expect(out).toEqual([]);
  });

  it('starts it, prints the endpoints, and stops it on the signal', async () => {
    // Prepare: an implementation of the local AWS contract that records what it was asked.
    const stateDir = join(dir, 'up-ok');
    const calls: string[] = [];
    const out: string[] = [];
    // Act
    const running: Promise<number> = runCli(
      ['local', 'up', '--state-dir', stateDir, '--clock-speed', '60', '--private-ca-days', '90'],
      untilManifestIo(out, dir),
      {
        loadLocalAws: async () => ({
          startLocalAws: async (options) => {
            calls.push(
              `start ${options.stateDir} speed=${options.clockSpeed} privateCaDays=${options.privateCaDays}`,
            );
            return { manifest: manifestFor(process.pid, 4583), stop: async () => void calls.push('stop') };
          },
        }),
      },
    );
    const code: CliRun['code'] = await running;
    // Assess
    expect(code).toBe(EXIT.ok);
    expect(calls).toEqual([`start ${stateDir} speed=60 privateCaDays=90`, 'stop']);
    expect(out.join('\n')).toMatch(/Step Functions\s+http:\/\/127\.0\.0\.1:4583/);
    expect(out.join('\n')).toContain('clock speed 60');
  });
});

describe('recert on AWS', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('without credentials exits 3 and says how to provide them', async () => {
    // Prepare: nothing in the default credential chain can answer.
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) {
      vi.stubEnv(name, undefined);
    }
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'no-credentials'));
    vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'no-config'));
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', undefined);
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', undefined);
    vi.stubEnv('AWS_WEB_IDENTITY_TOKEN_FILE', undefined);
    // Act
    const result = await runIn(['status', '--region', 'eu-west-1'], {}, dir);
    // Assess
    expect(result.code).toBe(EXIT.unavailable);
    expect(result.stderr).toContain('recert status: no AWS credentials found');
    expect(result.stderr).toContain('or use --local');
  });
});

describe('recert local up as its own process', () => {
  // Starting every local service from source takes long on a loaded 2-core machine.
  it('serves until "recert local down" stops it, and other commands find it meanwhile', {
    timeout: 240_000,
  }, async () => {
    // Prepare
    const stateDir = join(dir, 'lifecycle');
    const up = spawn(
      process.execPath,
      ['cli/recert.mjs', 'local', 'up', '--any-ports', '--state-dir', stateDir],
      { cwd: join(import.meta.dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = up;
    const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`local up did not start: ${stdout}`)), 180_000);
      up.stdout.on('data', (chunk) => {
        stdout += String(chunk);
        if (stdout.includes('Manifest ')) {
          clearTimeout(timer);
          resolve();
        }
      });
      up.once('exit', () => reject(new Error(`local up exited: ${stdout}`)));
    });
    const run = (argv: string[]) => runIn(argv, { RECERT_STATE_DIR: stateDir }, dir);
    // Act
    const status = await run(['local', 'status']);
    const fleet = await run(['status', '--local', '--json']);
    const down = await run(['local', 'down']);
    // Assess
    expect(stdout).toMatch(/Step Functions\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(status.code).toBe(EXIT.ok);
    expect(fleet.code).toBe(EXIT.ok);
    expect(JSON.parse(fleet.stdout).counts).toMatchObject({ IN_PROGRESS: 0, FAILED: 0 });
    expect(down.code).toBe(EXIT.ok);
    expect(await exited).toBe(EXIT.ok);
    expect(await exists(join(stateDir, 'endpoints.json'))).toBe(false);
  });
});
