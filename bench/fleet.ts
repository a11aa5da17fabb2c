/**
 * The fleet benchmark: per fleet size, a fresh local AWS and a healthy fleet in separate processes, one
 * audit that finds every certificate expiring, and what rotating them all took and would cost on AWS.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import { STATUS_INDEX_WRITES_PER_ROTATION } from '../workflows/rotate-device/table.ts';
import type { FleetSizeResult } from './fleet-result.ts';
import type { FloorResult } from './floor.ts';
import {
  type CostBreakdown,
  costOf,
  PRICES,
  PRICES_READ_ON,
  PRICES_REGION,
  type RotationUsage,
} from './prices.ts';

export const DEFAULT_FLEET_SIZES = [100, 1000, 5000] as const;

export const ROTATION_TIME_DEFINITION =
  "time of one rotation = its execution's start to SUCCEEDED, minus the device's own share: from the " +
  'broker accepting csr_req to it accepting the csr_res, and from crt_res to crt_ack (key, CSR, new ' +
  'TLS connection and the MQTT hops to and from the device)';

/** The configured memory of recert's functions in the CDK stack (arm64). */
export const LAMBDA_MEMORY_MB = 256;
/** Lambda writes START, END and REPORT lines of its own for each invocation, about this many bytes. */
const LAMBDA_PLATFORM_LOG_BYTES = 350;

/** A fleet size failed to run to the end. */
export class FleetSizeFailedError extends Error {
  override readonly name = 'FleetSizeFailedError';
}

const FromStack = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('result'),
    result: z.custom<FleetSizeResult>((v) => typeof v === 'object' && v !== null),
  }),
  z.object({ type: z.literal('failed'), message: z.string() }),
]);

export interface FleetBenchmark {
  readonly rotationTimeDefinition: string;
  readonly prices: { readonly region: string; readonly readOn: string; readonly table: typeof PRICES };
  readonly sizes: readonly (FleetSizeResult & {
    readonly costPerMillionRotationsUsd: CostBreakdown;
    /** Wall time per rotation over the floor's time per rotation. */
    readonly floorRatio: number;
    /** CPU time per rotation (stack + fleet) over the floor's CPU time per rotation. */
    readonly cpuFloorRatio: number;
  })[];
}

/** Parses `--sizes 100,1000` or RECERT_BENCH_SIZES; the defaults otherwise. */
export function parseFleetSizes(argv: readonly string[], env: NodeJS.ProcessEnv): number[] {
  const index = argv.indexOf('--sizes');
  const flag =
    index >= 0 ? argv[index + 1] : argv.find((a) => a.startsWith('--sizes='))?.slice('--sizes='.length);
  const text = flag ?? env.RECERT_BENCH_SIZES;
  if (text === undefined) return [...DEFAULT_FLEET_SIZES];
  const sizes = text.split(',').map((part) => Number(part.trim()));
  if (sizes.length === 0 || !sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= 100_000)) {
    throw new RangeError(`--sizes must be whole numbers from 1 to 100000 separated by commas, got "${text}"`);
  }
  return sizes;
}

/** Runs each size in turn; `onProgress` gets the figures so far after each size (a long run keeps them). */
export async function benchFleet(
  sizes: readonly number[],
  floor: FloorResult,
  onProgress: (sofar: FleetBenchmark) => Promise<void> = async () => undefined,
): Promise<FleetBenchmark> {
  const results: FleetBenchmark['sizes'][number][] = [];
  for (const size of sizes) {
    const result = await runSizeInItsOwnProcess(size);
    const usage = usageOf(result);
    const perRotationWallMs = result.wallMs / result.size;
    results.push({
      ...result,
      costPerMillionRotationsUsd: costOf(usage),
      floorRatio: Math.round((perRotationWallMs / floor.perRotationMs) * 100) / 100,
      cpuFloorRatio:
        Math.round(
          ((result.cpuMsPerRotation.stack + result.cpuMsPerRotation.fleet) / floor.perRotationCpuMs) * 100,
        ) / 100,
    });
    await onProgress(benchmarkOf(results));
  }
  return benchmarkOf(results);
}

function benchmarkOf(results: FleetBenchmark['sizes']): FleetBenchmark {
  return {
    rotationTimeDefinition: ROTATION_TIME_DEFINITION,
    prices: { region: PRICES_REGION, readOn: PRICES_READ_ON, table: PRICES },
    sizes: [...results],
  };
}

/**
 * What a rotation consumes on AWS, from what the run measured; where the local stack cannot see
 * AWS's meter, the assumptions are those of bench/README.md (What the cost assumes).
 */
export function usageOf(result: FleetSizeResult): RotationUsage {
  const p = result.perRotation;
  // The longest task token (SendTaskSuccess takes up to 1,024 characters).
  const taskTokenMaxBytes = 1024;
  const unitsOf = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));
  const writeUnitsPerWrite = unitsOf(p.dynamodbMeanItemBytes);
  const lastWriteExtraUnits =
    p.dynamodbWrites > 0 ? unitsOf(p.dynamodbMeanItemBytes + taskTokenMaxBytes) - writeUnitsPerWrite : 0;
  const readUnitsPerRead = Math.max(1, Math.ceil(p.dynamodbMeanItemBytes / 4096));
  const cloudToDevice = Math.max(0, p.iotMessages - p.iotDeviceReplies);
  const registry = [
    'AttachThingPrincipal',
    'DetachThingPrincipal',
    'ListPrincipalThings',
    'ListThingPrincipals',
    'DescribeThing',
  ];
  return {
    stateTransitions: p.billedStateTransitions,
    lambdaInvocations: p.lambdaInvocations,
    lambdaSeconds: p.lambdaMs / 1000,
    lambdaMemoryMb: LAMBDA_MEMORY_MB,
    dynamodbWriteUnits:
      p.dynamodbWrites * writeUnitsPerWrite + lastWriteExtraUnits + STATUS_INDEX_WRITES_PER_ROTATION,
    dynamodbReadUnits: p.dynamodbReads * readUnitsPerRead,
    iotMessages: p.iotMessages + cloudToDevice + p.iotPresenceConnects,
    iotConnectionMinutes: 1,
    iotRulesTriggered: p.iotDeviceReplies + p.iotPresenceConnects,
    iotRuleActions: p.iotDeviceReplies + p.iotPresenceConnects,
    iotRegistryOperations: registry.reduce((n, op) => n + (p.iotApiCalls[op] ?? 0), 0),
    logBytes: p.logBytes + p.lambdaInvocations * LAMBDA_PLATFORM_LOG_BYTES,
  };
}

function runSizeInItsOwnProcess(size: number): Promise<FleetSizeResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(import.meta.dirname, 'fleet-stack.ts'), [], {
      // RECERT_BENCH_PROFILE=dir writes a CPU profile of each stack process there, to find bottlenecks.
      execArgv: [
        '--import',
        'tsx',
        ...(process.env.RECERT_BENCH_PROFILE
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.RECERT_BENCH_PROFILE}`]
          : []),
      ],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      // The SDK's notice about future Node versions, once per process (and inherited by the fleet's).
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    let settled = false;
    child.on('message', (raw: unknown) => {
      const parsed = FromStack.safeParse(raw);
      settled = true;
      if (!parsed.success) reject(new FleetSizeFailedError(`fleet of ${size}: ${parsed.error.message}`));
      else if (parsed.data.type === 'failed')
        reject(new FleetSizeFailedError(`fleet of ${size}: ${parsed.data.message}`));
      else resolve(parsed.data.result);
    });
    child.on('exit', (code, signal) => {
      if (!settled)
        reject(new FleetSizeFailedError(`fleet of ${size}: the stack process exited (${code ?? signal})`));
    });
    child.send({ type: 'run', size });
  });
}
