import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type LocalAwsManifest, MANIFEST_FILE } from './types.ts';

export class LocalAwsAlreadyRunningError extends Error {
  constructor(
    readonly stateDir: string,
    readonly pid: number,
  ) {
    super(
      `a local AWS (process ${pid}) already runs from ${stateDir}: stop it with \`recert local down\` first`,
    );
    this.name = 'LocalAwsAlreadyRunningError';
  }
}

/** The state directory, held by one running local AWS at a time. */
export interface StateDirClaim {
  /** Writes the manifest (atomically) once every service listens. */
  publish(manifest: LocalAwsManifest): Promise<void>;
  /** Removes the manifest, if it is still this process's. */
  release(): Promise<void>;
}

const PidOnly = z.object({ pid: z.number().int().positive() });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

/**
 * Refuses a state directory that a live local AWS holds (two processes writing one state directory
 * would corrupt it); a manifest left by a process that died is stale and replaced.
 */
export async function claimStateDir(stateDir: string): Promise<StateDirClaim> {
  const path = join(stateDir, MANIFEST_FILE);
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing !== undefined) {
    let pid: number | undefined;
    try {
      const parsed = PidOnly.safeParse(JSON.parse(existing));
      pid = parsed.success ? parsed.data.pid : undefined;
    } catch {
      pid = undefined;
    }
    if (pid !== undefined && pid !== process.pid && alive(pid))
      throw new LocalAwsAlreadyRunningError(stateDir, pid);
  }
  return {
    async publish(manifest) {
      const temporary = `${path}.${process.pid}.tmp`;
      const file = await open(temporary, 'w');
      try {
        await file.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, path);
    },
    async release() {
      const current = await readFile(path, 'utf8').catch(() => undefined);
      if (current === undefined) return;
      try {
        const parsed = PidOnly.safeParse(JSON.parse(current));
        if (parsed.success && parsed.data.pid !== process.pid) return;
      } catch {
        // An unreadable manifest is nobody's: remove it.
      }
      await rm(path, { force: true });
    },
  };
}
