import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeviceCommand } from '../../../device/cli.ts';
import { startLocal, stopLocal } from '../../e2e/helpers.ts';

async function kit(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runDeviceCommand(['test', ...args], {
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('recert device test: usage', () => {
  it.each([
    [[], 'a thing name is needed'],
    [['sensor-1'], 'the kit tests against the local AWS only: add --local'],
    [['sensor 1', '--local'], '"sensor 1" is not a valid thing name'],
    [['a', 'b', '--local'], 'one thing at a time'],
    [['sensor-1', '--local', '--check-timeout', 'soon'], '--check-timeout "soon" is not a number of seconds'],
    [['sensor-1', '--local', '--check-timeout', '0'], '--check-timeout "0" is not a number of seconds'],
    [['sensor-1', '--local', '--checks', 'happy-rotation,nope'], '--checks: unknown "nope"'],
    [['sensor-1', '--local', '--verbose'], "Unknown option '--verbose'"],
  ])('%j: exit 2 with the reason', async (args, reason) => {
    // Act
    const result = await kit(args);

    // Assess
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toContain(`recert device test: ${reason}`);
    expect(result.err).toContain('Run "recert device test --help" for usage.');
  });

  it('--help prints the checks and exit codes', async () => {
    // Act
    const result = await kit(['--help']);

    // Assess
    expect(result.code).toBe(0);
    for (const check of ['happy-rotation', 'duplicate-csr-req', 'resent-crt-res', 'reconnect', 'crt-err']) {
      expect(result.out).toContain(`  ${check} `);
    }
    expect(result.out).toContain('Exit codes: 0 every check passed, 1 a check failed, 2 wrong usage');
  });

  it('names the missing local AWS, exit 2', async () => {
    // Prepare: a state directory no local AWS runs from.
    const dir = await mkdtemp(join(tmpdir(), 'recert-kit-'));
    try {
      // Act
      const result = await kit(['sensor-1', '--local', '--state-dir', dir]);

      // Assess
      expect(result.code).toBe(2);
      expect(result.err).toContain('recert device test: the local AWS is not running');
      expect(result.err).toContain('recert local up');
      expect(result.err).not.toMatch(/\n\s+at /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('recert device test: a thing it cannot test', () => {
  let env: Awaited<ReturnType<typeof startLocal>> | undefined;

  beforeAll(async () => {
    env = await startLocal();
  }, 120_000);

  afterAll(async () => {
    await stopLocal(env);
  }, 120_000);

  it('refuses a thing that does not exist, exit 2', async () => {
    const dir = env?.dir ?? '';

    // Act
    const result = await kit(['no-such-thing', '--local', '--state-dir', dir]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toBe('recert device test: there is no thing named no-such-thing');
  });
});
