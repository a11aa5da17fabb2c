import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { namedError } from '../../lib/named-error.ts';
import { MANIFEST_FILE } from '../../local/index.ts';

export class StateDirError extends namedError('StateDirError') {}

/** A thing-name prefix unique to this campaign, so earlier campaigns in the same state never collide. */
export function campaignPrefix(now: Date): string {
  // Down to the millisecond: two runs in the same second still get their own things.
  const stamp = now.toISOString().replace(/[-:TZ.]/g, '');
  return `fleet-${stamp}`;
}

/**
 * `--fresh`: empties the state directory, but only when it is one (it holds what the local AWS
 * writes) or is already empty, so a mistyped path never deletes someone's files.
 */
export async function wipeStateDir(dir: string): Promise<void> {
  let entries: string[];
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) throw new StateDirError(`--state-dir ${dir} is not a directory`);
    entries = await readdir(dir);
  } catch (error) {
    if (error instanceof StateDirError) throw error;
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return;
    throw new StateDirError(`cannot read the state directory ${dir}`, { cause: error });
  }
  if (entries.length === 0) return;
  if (entries.includes(MANIFEST_FILE)) {
    throw new StateDirError(
      `a local AWS may be running from ${dir} (${MANIFEST_FILE} exists); stop it (recert local down) first`,
    );
  }
  const known = ['iot', 'stepfunctions', 'dynamodb', 'events', 'rules', 'audit'];
  if (!entries.some((entry) => known.includes(entry))) {
    throw new StateDirError(
      `--fresh refuses to empty ${dir}: it does not look like a recert state directory`,
    );
  }
  for (const entry of entries) await rm(join(dir, entry), { recursive: true, force: true });
}
