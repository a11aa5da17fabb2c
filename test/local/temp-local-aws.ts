import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { LocalAws, type LocalAwsOptions } from '../../local/stack/local-aws.ts';

/** A test's own state directory and the local AWS it starts there, both closed and removed after each test. */
export function useTempLocalAws(prefix: string) {
  let stateDir: string | undefined;
  let local: LocalAws | undefined;
  afterEach(async () => {
    await local?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
    local = undefined;
    stateDir = undefined;
  });
  return {
    /** A new empty state directory, named with the prefix. */
    async makeStateDir(): Promise<string> {
      stateDir = await mkdtemp(join(tmpdir(), prefix));
      return stateDir;
    },
    async start(options: LocalAwsOptions): Promise<LocalAws> {
      local = await LocalAws.start(options);
      return local;
    },
  };
}
