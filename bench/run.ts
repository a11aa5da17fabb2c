/**
 * `npm run bench`: every benchmark of recert, printing its figures (medians of repeated runs) and
 * writing them to bench/results/latest.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { benchStepFunctions } from './stepfunctions.ts';

const results: Record<string, unknown> = {
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
};

const sfn = await benchStepFunctions();
results.stepFunctions = sfn;
console.log(`local Step Functions (median of ${sfn.runs} runs, fresh state directory each)`);
console.log(
  `  long chain:        ${sfn.chain.transitionsPerSecond} durable transitions/s (${sfn.chain.transitions} transitions)`,
);
console.log(
  `  ${sfn.waiting.executions} waiting on tokens: ${sfn.waiting.transitionsPerSecond} durable transitions/s`,
);
console.log(
  `  memory per waiting execution: ${(sfn.waiting.bytesPerWaitingExecution / 1024).toFixed(1)} KiB`,
);

const dir = join(import.meta.dirname, 'results');
await mkdir(dir, { recursive: true });
await writeFile(
  join(dir, 'latest.json'),
  `${JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2)}\n`,
);
console.log(`figures written to ${join('bench', 'results', 'latest.json')}`);
