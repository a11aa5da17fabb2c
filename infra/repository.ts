import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: function entries and the ASL file are named relative to it. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

export class MissingHandlerError extends Error {
  constructor(entries: readonly string[]) {
    super(`the workflow contract names handler files that do not exist: ${entries.join(', ')}`);
    this.name = 'MissingHandlerError';
  }
}

export function repositoryPath(relative: string): string {
  return join(REPOSITORY_ROOT, relative);
}

/** Fails before CDK does, naming every missing handler at once. */
export function assertEntriesExist(entries: readonly string[]): void {
  const missing = entries.filter((entry) => !existsSync(repositoryPath(entry)));
  if (missing.length > 0) throw new MissingHandlerError(missing);
}
