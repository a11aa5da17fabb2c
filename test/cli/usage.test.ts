import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.ts';
import { runIn } from './helpers/local-aws.ts';
import { standInManifest } from './helpers/stand-in-manifest.ts';

let dir: string;
const run = (argv: string[], env: Record<string, string> = {}) => runIn(argv, env, dir);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recert-cli-usage-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const COMMANDS = [
  ['status'],
  ['rotations', 'list'],
  ['rotations', 'show'],
  ['rotate'],
  ['redrive'],
  ['abandon'],
  ['report'],
  ['local'],
];

describe('recert --help', () => {
  it('lists every command and the exit codes', async () => {
    // Act
    const result = await run(['--help']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    for (const command of [...COMMANDS, ['device', 'run']])
      expect(result.stdout).toContain(command.join(' '));
    expect(result.stdout).toMatch(/Exit codes:[\s\S]*3 {2}target unavailable/);
  });

  it.each(COMMANDS)('%s %s --help prints usage with examples and needs no target', async (...path) => {
    // Act
    const result = await run([...path, '--help'], { RECERT_LOCAL: '1' });
    // Assess
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain(`recert ${path.join(' ')}`);
    expect(result.stdout).toMatch(/Examples?:/);
    expect(result.stderr).toBe('');
  });

  it('device --help goes to the device agent', async () => {
    const result = await run(['device', '--help']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain('recert device run --thing');
  });

  it('with no command prints the usage to stderr and exits 2', async () => {
    const result = await run([]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('Usage: recert <command>');
  });
});

describe('usage errors exit 2 and name what was wrong', () => {
  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['rotations'], /a subcommand is needed/],
    [['rotations', 'delete'], /unknown subcommand "delete"/],
    [['status', '--verbose'], /Unknown option '--verbose'/],
    [['rotations', 'list', '--status', 'LOST'], /--status "LOST" is not one of IN_PROGRESS/],
    [['rotations', 'list', '--since', 'yesterday'], /--since "yesterday" is neither a duration/],
    [['rotations', 'list', '--limit', '-3'], /--limit|argument missing/],
    [['rotations', 'show'], /exactly one thing name/],
    [['rotations', 'show', 'bad thing!'], /"bad thing!" is not a valid thing name/],
    [['redrive', 'arn:aws:states:us-east-1:123:execution:x'], /is not a Step Functions execution ARN/],
    [['redrive'], /one thing name or execution ARN, or --failed/],
    [['redrive', '--failed', 'thing-1'], /--failed takes no thing/],
    [['redrive', 'thing-1', '--dry-run'], /go with --failed/],
    [['rotate'], /at least one thing, or pass --all-expiring/],
    [['rotate', '--all-expiring', 'thing-1'], /--all-expiring takes no thing names/],
    [['rotate', 'a', '--certificate', 'xyz'], /is not a certificate id/],
    [['rotate', 'a', 'b', '--certificate', 'a'.repeat(64)], /--certificate goes with exactly one thing/],
    [['abandon', 'a', 'b'], /exactly one thing name/],
    [['report', '--format', 'xml'], /--format "xml" is not one of table, json, csv/],
    [['report', '--json', '--format', 'csv'], /--json contradicts --format csv/],
    [['status', '--top', '0'], /--top "0" is not a whole number from 1 to 100/],
    [['local'], /local needs a subcommand/],
    [['local', 'sideways'], /unknown subcommand "local sideways"/],
    [
      ['local', 'status', '--clock-speed', '5'],
      /--clock-speed, --clock-reset, --any-ports, --private-ca-days and --log-level go with "local up"/,
    ],
    [
      ['local', 'up', '--private-ca-days', '0'],
      /--private-ca-days "0" is not a whole number of days from 1 to 3650/,
    ],
    [['local', 'up', '--private-ca-days', '1.5'], /--private-ca-days "1.5" is not a whole number/],
  ])('%j', async (argv, message) => {
    // Act: no target is reachable, so a usage error must be found before connecting.
    const result = await run(argv, { RECERT_LOCAL: '1' });
    // Assess
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});

describe('the local AWS not running exits 3 with what to do', () => {
  it('when there is no manifest', async () => {
    // Act
    const result = await run(['status', '--local', '--state-dir', join(dir, 'nothing-here')]);
    // Assess
    expect(result.code).toBe(EXIT.unavailable);
    expect(result.stderr).toContain('the local AWS is not running');
    expect(result.stderr).toContain('recert local up');
  });

  it('when the manifest names a process that has exited', async () => {
    // Prepare: a pid far beyond any pid_max is never alive.
    const stateDir = join(dir, 'stale');
    await writeManifest(stateDir, 2 ** 30, 'http://127.0.0.1:1');
    // Act
    const result = await run(['rotations', 'list'], { RECERT_LOCAL: '1', RECERT_STATE_DIR: stateDir });
    // Assess
    expect(result.code).toBe(EXIT.unavailable);
    expect(result.stderr).toMatch(/process 1073741824 .* has exited/);
  });

  it('when the process lives but its endpoint refuses connections', async () => {
    // Prepare: a port that was just free and is closed again.
    const port = await freePort();
    const stateDir = join(dir, 'refusing');
    await writeManifest(stateDir, process.pid, `http://127.0.0.1:${port}`);
    // Act
    const result = await run(['status', '--local', '--state-dir', stateDir]);
    // Assess
    expect(result.code).toBe(EXIT.unavailable);
    expect(result.stderr).toMatch(
      /not answering: Step Functions at http:\/\/127\.0\.0\.1:\d+ .* refuses connections/,
    );
  });

  it('when the manifest is not one', async () => {
    const stateDir = join(dir, 'garbage');
    await writeManifest(stateDir, process.pid, 'not a url');
    const result = await run(['status', '--local', '--state-dir', stateDir]);
    expect(result.code).toBe(EXIT.unavailable);
    expect(result.stderr).toMatch(/is not a local AWS manifest \(endpoints\.stepFunctions/);
  });
});

async function writeManifest(stateDir: string, pid: number, url: string): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const manifest = standInManifest({
    pid,
    url,
    mqttPort: 1,
    rootCaPath: '/nonexistent/root-ca.pem',
    clockSpeed: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
  });
  await writeFile(join(stateDir, 'endpoints.json'), JSON.stringify(manifest));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe('the recert executable', () => {
  it('exits with the command exit code and writes errors to stderr', async () => {
    // Prepare
    const { spawn } = await import('node:child_process');
    // Act
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/bin.ts', 'rotations', 'list', '--bogus'], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { ...process.env, RECERT_LOCAL: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    // Assess
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe('');
    expect(stderr).toContain("recert rotations list: Unknown option '--bogus'");
  });
});

describe('conventions', () => {
  it('prints the version', async () => {
    const result = await run(['--version']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^recert\/\d+\.\d+\.\d+ node\/v\d+/);
  });

  it('gives a command\'s help with "recert help <command>"', async () => {
    const viaHelp = await run(['help', 'rotations', 'list']);
    const viaFlag = await run(['rotations', 'list', '--help']);
    expect(viaHelp.code).toBe(EXIT.ok);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });

  it('suggests the command a typo meant', async () => {
    const command = await run(['stauts']);
    const sub = await run(['rotations', 'lsit']);
    expect(command.code).toBe(EXIT.usage);
    expect(command.stderr).toContain('Did you mean "recert status"?');
    expect(sub.stderr).toContain('did you mean "recert rotations list"?');
  });
});

describe('--output and completion', () => {
  it('takes --output json as --json, and refuses a format the command does not have', async () => {
    const output = await run(['pacing', '--output', 'json']);
    const json = await run(['pacing', '--json']);
    const csv = await run(['pacing', '--output', 'csv']);
    expect(output.code).toBe(EXIT.ok);
    expect(output.stdout).toBe(json.stdout);
    expect(csv.code).toBe(EXIT.usage);
    expect(csv.stderr).toContain('--output "csv" is not one of table, json');
  });

  it('prints a bash completion script that knows the commands and their subcommands', async () => {
    const result = await run(['completion', 'bash']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain('complete -o default -F _recert recert');
    expect(result.stdout).toMatch(/campaigns\) words="show stop resume"/);
    expect(result.stdout).toMatch(
      /words="abandon audit campaigns completion .*local logs pacing redrive report rotate rotations status"/,
    );
  });
});
