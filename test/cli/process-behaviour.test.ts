import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.ts';
import { MANIFEST_FILE } from '../../local/stack/types.ts';
import { npmStart, recert, type Spawned, spawnCommand } from './helpers/spawn-cli.ts';

const dirs: string[] = [];
const children: Spawned[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'recert-process-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('output to a closed pipe (recert ... | head -1)', () => {
  it('ends quietly with exit 0 instead of an EPIPE stack trace', async () => {
    // Act: the reader is gone before the command writes.
    const run = recert(['--help'], { closeStdout: true });
    const { code } = await run.exited;
    // Assess
    expect(run.out.stderr).toBe('');
    expect(code).toBe(EXIT.ok);
  });
});

describe('npm start with a bad path or value', () => {
  it('refuses a state directory that cannot be created, at once, with its path and reason', async () => {
    // Act: Node's recursive mkdir never returns for this path.
    const run = npmStart(['--state-dir', '/proc/nope']);
    const { code } = await run.exited;
    // Assess
    expect(code).toBe(EXIT.usage);
    expect(run.out.stderr).toContain('the state directory /proc/nope cannot be used');
    expect(run.out.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a state directory under a file, naming why', async () => {
    // Prepare
    const file = join(await tempDir(), 'a-file');
    await writeFile(file, '');
    // Act
    const run = npmStart(['--state-dir', join(file, 'state')]);
    const { code } = await run.exited;
    // Assess
    expect(code).toBe(EXIT.usage);
    expect(run.out.stderr).toContain('a part of the path is a file (ENOTDIR)');
  });

  it('says what is wrong with a negative fleet size, not that the argument is ambiguous', async () => {
    // Act
    const run = npmStart(['--devices', '-5']);
    const { code } = await run.exited;
    // Assess
    expect(code).toBe(EXIT.usage);
    expect(run.out.stderr).toContain('--devices must be between 1 and 10000, got -5');
    expect(run.out.stderr).not.toContain('ambiguous');
  });
});

describe('recert local up and signals', () => {
  async function startUp(via: 'node' | 'npm run'): Promise<{ run: Spawned; stateDir: string }> {
    const stateDir = await tempDir();
    const args = ['local', 'up', '--any-ports', '--state-dir', stateDir];
    const run = via === 'node' ? recert(args) : spawnCommand('npm', ['run', '-s', 'recert', '--', ...args]);
    children.push(run);
    await run.waitForStdout('Stop with Ctrl-C');
    expect(existsSync(join(stateDir, MANIFEST_FILE))).toBe(true);
    return { run, stateDir };
  }

  it('stops on SIGTERM sent to npm run, and removes its manifest', { timeout: 240_000 }, async () => {
    // Prepare
    const { run, stateDir } = await startUp('npm run');
    // Act
    run.child.kill('SIGTERM');
    await run.exited;
    // Assess: the server stopped (its manifest is gone) and nothing was left running.
    await expect.poll(() => existsSync(join(stateDir, MANIFEST_FILE)), { timeout: 30_000 }).toBe(false);
    const status = recert(['local', 'status', '--state-dir', stateDir]);
    expect((await status.exited).code).toBe(EXIT.unavailable);
  });

  it('stops cleanly when Ctrl-C arrives twice at once (the terminal and npm both deliver it)', {
    timeout: 240_000,
  }, async () => {
    // Prepare
    const { run, stateDir } = await startUp('node');
    // Act
    run.child.kill('SIGINT');
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    // Assess
    expect(code).toBe(EXIT.ok);
    expect(run.out.stderr).toContain('Stopped.');
    expect(existsSync(join(stateDir, MANIFEST_FILE))).toBe(false);
  });
});

describe('npm start stopped by Ctrl-C or SIGTERM', () => {
  const cases: Array<[string, NodeJS.Signals, (args: string[]) => Spawned]> = [
    // Ctrl-C reaches npm, which passes it on to the job.
    ['npm start', 'SIGINT', (args) => spawnCommand('npm', ['start', '--', ...args])],
    // A service manager's SIGTERM, to the launcher npm start runs.
    ['node cli/start.mjs', 'SIGTERM', (args) => npmStart(args)],
  ];

  it.each(cases)(
    '%s on %s while the fleet rotates: ends promptly with the report, exit 1, no manifest left',
    {
      timeout: 300_000,
    },
    async (_via, signal, start) => {
      // Prepare: a small fleet in a temporary state directory, rotating.
      const stateDir = await tempDir();
      const run = start(['--devices', '20', '--state-dir', stateDir]);
      children.push(run);
      await expect
        .poll(() => run.out.stderr, { timeout: 180_000, interval: 100 })
        .toMatch(/following \d+ rotations/);
      // Act
      run.child.kill(signal);
      const ended = await Promise.race([
        run.exited,
        new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 60_000)),
      ]);
      // Assess: it ended, with the report of what it saw, the documented exit code, and no manifest
      // left to pass for a running local AWS.
      expect(ended).toEqual({ code: 1, signal: null });
      expect(run.out.stderr).toContain('stopping: checking the devices and closing the local AWS');
      expect(run.out.stdout).toContain('recert fleet rotation: campaign');
      expect(run.out.stdout).toContain('STOPPED before every rotation ended');
      expect(run.out.stdout).toContain('result: FAILED');
      expect(existsSync(join(stateDir, MANIFEST_FILE))).toBe(false);
      expect(run.out.stderr).not.toMatch(/\n\s+at /);
    },
  );
});
