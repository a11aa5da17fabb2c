import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignPrefix, StateDirError, wipeStateDir } from '../../cli/main-job/state-dir.ts';
import { useTempDirs } from './helpers/temp-dir.ts';

describe('npm start --fresh', () => {
  const dirs = useTempDirs('recert-fresh-');

  it('empties a state directory of the local AWS', async () => {
    // Prepare
    const dir = await dirs.make();
    await mkdir(join(dir, 'iot'));
    await mkdir(join(dir, 'stepfunctions'));
    await writeFile(join(dir, 'iot', 'x.json'), '{}');
    // Act
    await wipeStateDir(dir);
    // Assess
    expect(await readdir(dir)).toEqual([]);
  });

  it('accepts a directory that does not exist yet', async () => {
    await expect(wipeStateDir(join(tmpdir(), 'recert-fresh-missing-dir-x'))).resolves.toBeUndefined();
  });

  it('refuses to empty a directory that is not a recert state directory, and leaves it as it was', async () => {
    // Prepare
    const dir = await dirs.make();
    await writeFile(join(dir, 'thesis.tex'), 'precious');
    // Act / Assess
    await expect(wipeStateDir(dir)).rejects.toThrow(StateDirError);
    await expect(wipeStateDir(dir)).rejects.toThrow(/does not look like a recert state directory/);
    expect(await readdir(dir)).toEqual(['thesis.tex']);
  });

  it('refuses while a local AWS runs from it', async () => {
    // Prepare
    const dir = await dirs.make();
    await mkdir(join(dir, 'iot'));
    await writeFile(join(dir, 'endpoints.json'), '{}');
    // Act / Assess
    await expect(wipeStateDir(dir)).rejects.toThrow(/recert local down/);
    expect((await readdir(dir)).sort()).toEqual(['endpoints.json', 'iot']);
  });
});

describe('campaign prefix', () => {
  it('is a thing-name-safe stamp of the start time', () => {
    expect(campaignPrefix(new Date(Date.UTC(2026, 10, 23, 3, 4, 5, 67)))).toBe('fleet-20261123030405067');
  });
});
