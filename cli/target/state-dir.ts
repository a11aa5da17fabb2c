import { mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { systemCode, UsageError } from '../errors.ts';

const REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file',
  ENOENT: 'it cannot be created there',
  ENOSPC: 'no space left on the device',
  EEXIST: 'it is a file',
};

export class StateDirUnusableError extends UsageError {
  constructor(dir: string, error: unknown) {
    const code = systemCode(error);
    const reason = code === undefined ? String(error) : `${REASONS[code] ?? 'cannot be written'} (${code})`;
    super(`the state directory ${dir} cannot be used: ${reason}`, {
      cause: error,
      hint: 'pass --state-dir (or RECERT_STATE_DIR) a directory this user can write',
    });
    this.name = 'StateDirUnusableError';
  }
}

/** The missing directories of `dir`, outermost first (Node's recursive mkdir loops on some paths, e.g. under /proc). */
async function missingLevels(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    try {
      const info = await stat(current);
      if (!info.isDirectory()) throw Object.assign(new Error(`${current} is a file`), { code: 'ENOTDIR' });
      return missing.reverse();
    } catch (error) {
      if (systemCode(error) !== 'ENOENT' || dirname(current) === current) throw error;
      missing.push(current);
    }
  }
}

/**
 * Creates the state directory if needed and proves it writable, before anything starts, so an
 * unusable path is refused at once with its path and the reason.
 */
export async function prepareStateDir(dir: string): Promise<void> {
  const absolute = resolve(dir);
  try {
    for (const level of await missingLevels(absolute)) await mkdir(level);
    const probe = resolve(absolute, `.write-check-${process.pid}`);
    await writeFile(probe, '');
    await unlink(probe);
  } catch (error) {
    throw new StateDirUnusableError(dir, error);
  }
}
