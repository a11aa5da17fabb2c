import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Folders anything may import anything of: the contract and the neutral helpers. */
const OPEN = new Set(['workflows', 'lib']);
/** What these folders may import besides themselves: the contract only lib, lib nothing of recert. */
const ONLY: Readonly<Record<string, readonly string[]>> = { workflows: ['lib'], lib: [] };
/** Not held to the rule: the tests, and the benchmarks, which measure the internals. */
const EXEMPT = new Set(['test', 'bench']);

/** The one module of a folder that other folders may import. */
const entryOf = (folder: string): string => `${folder}/index.ts`;
const topFolder = (path: string): string => path.split('/')[0] ?? path;

/** Each import of another top folder that breaks the rule, as `file: imports 'specifier' (why)`. */
function boundaryViolations(sources: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [file, text] of sources) {
    const own = topFolder(file);
    if (!file.includes('/') || EXEMPT.has(own)) continue;
    for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!specifier.startsWith('.')) continue;
      const target = normalize(join(dirname(file), specifier));
      const folder = topFolder(target);
      if (folder === own) continue;
      const only = ONLY[own];
      if (only !== undefined && !only.includes(folder)) {
        const allowed = only.length > 0 ? `only ${only.map((name) => `${name}/`).join(', ')}` : 'nothing';
        found.push(`${file}: imports '${specifier}' (${own}/ imports ${allowed} of recert)`);
      } else if (!OPEN.has(folder) && target !== entryOf(folder)) {
        found.push(
          `${file}: imports '${specifier}' (only ${entryOf(folder)} of ${folder}/ is for other folders)`,
        );
      }
    }
  }
  return found;
}

/** Every tracked TypeScript and ESM source of the project, by its path from the root. */
function trackedSources(): Map<string, string> {
  const listed = execFileSync('git', ['ls-files', '-z', '--', '*.ts', '*.mts', '*.mjs'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const paths = listed.split('\0').filter((path) => path !== '' && existsSync(join(ROOT, path)));
  return new Map(paths.map((path) => [path, readFileSync(join(ROOT, path), 'utf8')]));
}

describe('folder boundaries', () => {
  it('no source imports another folder other than through its entry, workflows/ or lib/', () => {
    // Prepare
    const sources = trackedSources();

    // Act
    const violations = boundaryViolations(sources);

    // Assess
    expect(sources.size).toBeGreaterThan(100);
    expect(violations).toEqual([]);
  });

  it('names the file and the import that reach into another folder, lib/ importing recert, or the contract importing a folder', () => {
    // Prepare
    const sources = new Map([
      [
        'console/ok.ts',
        "import { x } from '../cli/index.ts';\nimport { y } from '../workflows/rotate-device/record.ts';",
      ],
      ['console/deep.ts', "import type { Target } from '../cli/target/target.ts';"],
      ['cli/lazy.ts', "const m = await import('../device/cli.ts');"],
      ['device/re-export.ts', "export { LOCAL_CREDENTIALS } from '../local/config.ts';"],
      ['lib/helper.ts', "import { TransientAwsError } from '../workflows/rotate-device/errors.ts';"],
      ['workflows/access/policy.ts', "export type { PolicyStatement } from '../../local/index.ts';"],
      ['bench/run.ts', "import { engine } from '../local/stepfunctions/engine.ts';"],
    ]);

    // Act
    const violations = boundaryViolations(sources);

    // Assess
    expect(violations).toEqual([
      "console/deep.ts: imports '../cli/target/target.ts' (only cli/index.ts of cli/ is for other folders)",
      "cli/lazy.ts: imports '../device/cli.ts' (only device/index.ts of device/ is for other folders)",
      "device/re-export.ts: imports '../local/config.ts' (only local/index.ts of local/ is for other folders)",
      "lib/helper.ts: imports '../workflows/rotate-device/errors.ts' (lib/ imports nothing of recert)",
      "workflows/access/policy.ts: imports '../../local/index.ts' (workflows/ imports only lib/ of recert)",
    ]);
  });
});
