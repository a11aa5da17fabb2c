/**
 * `npm run bench:quota`: a 2,000-device campaign under AWS IoT's default API quotas, judged against the
 * tightest quota's rate; flags and pass criteria in bench/README.md (The quota run).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseBenchFlags } from './flags.ts';
import { runQuotaCampaign } from './quota-run.ts';

export const DEFAULT_QUOTA_DEVICES = 2000;

export class QuotaFlagError extends Error {
  override readonly name = 'QuotaFlagError';
}

export interface QuotaFlags {
  readonly devices: number;
  readonly clockSpeed: number;
  readonly quotaScale: number;
  readonly functionWorkers: number;
  readonly out: string;
}

/** Flags of the quota run; `--quota` is accepted (and ignored) so `npm run bench -- --quota ...` passes through. */
export function parseQuotaFlags(argv: readonly string[], cores = cpus().length): QuotaFlags {
  const flags = parseBenchFlags(
    argv,
    { values: ['devices', 'clock-speed', 'quota-scale', 'function-workers', 'out'], switches: ['quota'] },
    QuotaFlagError,
  );
  return {
    devices: flags.number(
      'devices',
      DEFAULT_QUOTA_DEVICES,
      (n) => Number.isInteger(n) && n >= 2 && n <= 20_000,
      'a whole number from 2 to 20000',
    ),
    clockSpeed: flags.number('clock-speed', 1, (n) => n > 0 && n <= 100, 'a number above 0 and at most 100'),
    quotaScale: flags.number('quota-scale', 1, (n) => n > 0 && n <= 1, 'a fraction above 0 and at most 1'),
    functionWorkers: flags.number(
      'function-workers',
      cores > 1 ? 1 : 0,
      (n) => Number.isInteger(n) && n >= 0 && n <= 8,
      'a whole number from 0 to 8',
    ),
    out: flags.text('out') ?? join(import.meta.dirname, 'results', 'quota.json'),
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  let flags: QuotaFlags;
  try {
    flags = parseQuotaFlags(argv);
  } catch (error) {
    if (error instanceof QuotaFlagError) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const result = await runQuotaCampaign({
    devices: flags.devices,
    quotaScale: flags.quotaScale,
    clockSpeed: flags.clockSpeed,
    functionWorkers: flags.functionWorkers,
    progress: (line) => console.error(line),
  });
  const f = result.figures;
  const fixed = (n: number | undefined): string => (n === undefined ? 'n/a' : n.toFixed(2));
  console.log(
    `quota run: ${result.devices} devices, AWS IoT default quotas${result.quotaScale === 1 ? '' : ` x ${result.quotaScale}`} enforced, clock speed ${result.clockSpeed}`,
  );
  console.log(
    `  derived start rate      ${fixed(result.pacing.startsPerSecond)}/s (headroom ${result.pacing.headroom})`,
  );
  console.log(
    `  tightest quota allows   ${fixed(result.pacing.limitedBy.rotationsPerSecond)}/s (${result.pacing.limitedBy.api}: ${result.pacing.limitedBy.quota} TPS / ${result.pacing.limitedBy.callsPerRotation} per rotation)`,
  );
  console.log(
    `  rotations/s (paced)     ${fixed(f.rotationsPerSecond)} finished (${fixed(f.rotationsPerSecondFirstToLast)} first to last), ${fixed(f.startsPerSecond)} started`,
  );
  console.log(`  ratio to the allowance  ${fixed(result.verdict.ratio)}`);
  console.log(`  throttled calls         ${result.throttledTotal} ${JSON.stringify(result.throttled)}`);
  console.log(
    `  rotations failed        ${f.failed} (${f.failedByThrottling} by throttling) of ${f.rotations}`,
  );
  console.log(
    `  campaign                ${f.campaignSeconds.toFixed(1)} s of local clock, ${result.wallSeconds} s wall`,
  );
  for (const reason of result.verdict.reasons) console.log(`  ! ${reason}`);
  console.log(result.verdict.passed ? 'result: PASSED' : 'result: FAILED');
  await mkdir(join(flags.out, '..'), { recursive: true });
  await writeFile(
    flags.out,
    `${JSON.stringify({ at: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version }, ...result }, null, 2)}\n`,
  );
  console.log(`figures written to ${flags.out}`);
  return result.verdict.passed ? 0 : 1;
}

if (process.argv[1] === import.meta.filename) {
  process.exitCode = await main(process.argv.slice(2));
}
