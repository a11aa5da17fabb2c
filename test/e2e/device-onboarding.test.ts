import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentProcess } from '../device/helpers/agent-process.ts';
import { eventually } from './helpers.ts';

const README = fileURLToPath(new URL('../../device/README.md', import.meta.url));

interface Step {
  readonly args: string[];
  /** Started in its own terminal and left running. */
  readonly keepsRunning: boolean;
}

/** The commands of the README's "Your first real device" section, in order. */
async function firstDeviceSteps(): Promise<Step[]> {
  const text = await readFile(README, 'utf8');
  const section = text.split('## Your first real device')[1] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      const [command = '', comment = ''] = line.split('#');
      const words = command.trim().split(/\s+/);
      expect(words.slice(0, 2)).toEqual(['npx', 'recert']);
      return { args: words.slice(2), keepsRunning: comment.includes('keep it running') };
    });
}

describe('the README\'s "your first real device", command by command', () => {
  let cwd: string | undefined;
  const running: AgentProcess[] = [];

  afterEach(async () => {
    // The agent first, then the local AWS it talks to.
    for (const process of running.splice(0).reverse()) {
      if (process.child.exitCode === null) await process.stop();
    }
    if (cwd) await rm(cwd, { recursive: true, force: true });
    cwd = undefined;
  });

  it('provisions a device, runs it and rotates it on the local AWS', async () => {
    // Prepare
    const steps = await firstDeviceSteps();
    cwd = await mkdtemp(join(tmpdir(), 'recert-first-device-'));
    const dir = cwd;

    // Act: each command in a fresh directory, as a new user would type it.
    for (const step of steps) {
      const command = AgentProcess.recert(step.args, dir);
      if (step.keepsRunning) {
        running.push(command);
        if (step.args[0] === 'local') {
          await eventually(
            'the local AWS up',
            async () => ((await exists(join(dir, '.recert', 'endpoints.json'))) ? true : undefined),
            120_000,
          );
        } else {
          await eventually(
            'the agent connected',
            async () => (command.events('connected').length > 0 ? true : undefined),
            60_000,
          );
        }
        continue;
      }
      const code = await command.exited;
      expect(code, `recert ${step.args.join(' ')}: ${command.errors.join('')}`).toBe(0);
    }
    const agent = running.at(-1);
    const rotated = await eventually('the agent rotated', async () => agent?.events('rotated')[0], 120_000);

    // Assess
    expect(steps.length).toBeLessThanOrEqual(5);
    expect(rotated).toMatchObject({ type: 'rotated' });
    const key = await stat(join(dir, 'sensor-1', 'device.key.pem'));
    expect(key.mode & 0o777).toBe(0o600);
    expect(agent?.child.exitCode).toBeNull();
  }, 300_000);
});

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
