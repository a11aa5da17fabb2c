/**
 * `npm run projections`: the fleet-scale projections as the markdown table the README quotes, from
 * AWS's default quotas and the raised ones of each scenario. `-- --write-readme` replaces the table
 * in README.md (between its projections markers) after the call table or the quotas changed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_HEADROOM } from '../workflows/campaign/pacing.ts';
import { projectionsMarkdown } from '../workflows/campaign/projections.ts';
import { README_TABLE_END, README_TABLE_START, replaceReadmeTable } from './readme-projections.ts';

const table = projectionsMarkdown();
if (process.argv.includes('--write-readme')) {
  const path = join(import.meta.dirname, '..', 'README.md');
  await writeFile(path, replaceReadmeTable(await readFile(path, 'utf8'), table));
  process.stderr.write(`README.md: table between ${README_TABLE_START} and ${README_TABLE_END} updated\n`);
}
process.stdout.write(`${table}\n`);
process.stderr.write(
  `start rate = tightest quota / its calls per rotation x headroom ${DEFAULT_HEADROOM}; ` +
    'durations = devices / start rate + one rotation (60 s)\n',
);
