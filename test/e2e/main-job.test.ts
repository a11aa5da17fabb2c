import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../cli/helpers/temp-dir.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function runMainJob(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'main-job.ts'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start (the main job, as a child process)', () => {
  const dirs = useTempDirs('recert-main-job-');

  it('rotates a small mixed fleet, prints the report, exits 0 and keeps its state', async () => {
    // Prepare
    const stateDir = join(await dirs.make(), 'state');

    // Act: honest devices of every kind and one silent device, on a clock fast enough for the
    // offline one to come back within seconds.
    const run = await runMainJob([
      '--devices',
      '10',
      '--mix',
      'healthy=6,offline=1,flaky=1,crt_err=1,silent=1',
      '--expiring-percent',
      '100',
      '--offline-minutes',
      '5',
      '--state-dir',
      stateDir,
      '--timeout',
      '50',
      '--json',
    ]);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const report: unknown = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      devices: 10,
      expiring: 10,
      rotationsStarted: 10,
      succeeded: 9,
      refusedAsExpected: 1,
      failed: [],
      oldCertificatesRetired: 9,
      devicesWithoutWorkingCredentials: [],
      timedOut: false,
      audit: { status: 'COMPLETED', nonCompliant: 10 },
    });
    expect(run.stderr).toContain('rotated');
    // The state stays for recert to inspect; the local AWS is no longer running from it.
    const kept = await readdir(stateDir);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept).not.toContain('endpoints.json');
  }, 60_000);

  it('refuses a wrong flag with exit code 2 and names it', async () => {
    // Act
    const run = await runMainJob(['--devices', 'many']);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--devices must be a whole number');
    expect(run.stdout).toBe('');
  });
});
