/**
 * `npm run bench`: every benchmark, figures to bench/results/latest.json and the fleet chart to
 * bench/results/fleet.svg; flags in bench/README.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { renderFleetChart } from './chart.ts';
import { benchFleet, type FleetBenchmark, parseFleetSizes } from './fleet.ts';
import { printFleet, printFloor, printSdkCall } from './fleet-report.ts';
import { measureLowestFloor } from './floor.ts';
import { measureSdkCall } from './sdk-call.ts';
import { benchStepFunctions } from './stepfunctions.ts';

const argv = process.argv.slice(2);
if (argv.includes('--quota')) {
  const { main } = await import('./quota.ts');
  process.exit(await main(argv));
}
const sizes = parseFleetSizes(argv, process.env);
const results: Record<string, unknown> = {
  machine: { cpus: cpus().length, node: process.version },
};

if (!argv.includes('--fleet-only')) {
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
}

const floor = await measureLowestFloor(3);
results.floor = floor;
printFloor(floor);
const sdkCall = await measureSdkCall();
results.sdkCall = sdkCall;
printSdkCall(sdkCall);
const dir = join(import.meta.dirname, 'results');
await mkdir(dir, { recursive: true });
// A profiled run is slower than a plain one: its figures must not replace the reference ones.
const profiled = process.env.RECERT_BENCH_PROFILE !== undefined;
const jsonFile = profiled ? 'profiled.json' : 'latest.json';
const chartFile = profiled ? 'profiled.svg' : 'fleet.svg';

/** Written after each fleet size, so a long run that is stopped keeps what it measured. */
async function writeResults(fleet: FleetBenchmark | undefined): Promise<void> {
  await writeFile(
    join(dir, jsonFile),
    `${JSON.stringify({ at: new Date().toISOString(), ...results, ...(fleet ? { fleet } : {}) }, null, 2)}\n`,
  );
  if (!fleet || fleet.sizes.length === 0) return;
  await writeFile(
    join(dir, chartFile),
    renderFleetChart(
      fleet.sizes.map((s) => ({
        size: s.size,
        rotationsPerSecond: s.rotationsPerSecond,
        stackPeakRssMb: s.memory.stackPeakRssBytes / 2 ** 20,
        fleetPeakRssMb: s.memory.fleetPeakRssBytes / 2 ** 20,
      })),
      `recert on the local AWS: ${cpus().length} cores, ${new Date().toISOString().slice(0, 10)}`,
    ),
  );
}

await writeResults(undefined);
const fleet = await benchFleet(sizes, floor, writeResults);
printFleet(fleet, sdkCall);
console.log(
  `figures written to ${join('bench', 'results', jsonFile)}, chart to ${join('bench', 'results', chartFile)}`,
);
