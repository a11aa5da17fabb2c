// Starts a recert entry point from its build in dist/ when the build is complete and no source
// file changed since; otherwise from the TypeScript source through tsx (slower to start).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The folders cli/build/build.mjs transpiles, and the data it copies.
const SOURCE_DIRS = ['cli', 'console', 'lib', 'local', 'device', 'functions', 'workflows', 'asl'];

function newerThan(dir, time) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (newerThan(path, time)) return true;
    } else if (statSync(path).mtimeMs > time) return true;
  }
  return false;
}

function builtAt() {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'dist', 'build-stamp.json'), 'utf8')).builtAt;
  } catch {
    return undefined;
  }
}

/** Runs `entry` (a path from the repository root without extension, e.g. `cli/bin`). */
export async function launch(entry) {
  const stamp = builtAt();
  const fresh =
    typeof stamp === 'number' &&
    existsSync(join(ROOT, 'dist', `${entry}.js`)) &&
    !SOURCE_DIRS.some((dir) => existsSync(join(ROOT, dir)) && newerThan(join(ROOT, dir), stamp));
  if (fresh) {
    await import(pathToFileURL(join(ROOT, 'dist', `${entry}.js`)).href);
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(ROOT, `${entry}.ts`)).href);
}
