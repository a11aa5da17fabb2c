/**
 * The stack process of one fleet size: the local AWS, a healthy fleet in a child process and one audit
 * that finds every certificate expiring; answers `fleet.ts` over IPC with one `FleetSizeResult`.
 */
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LocalAws } from '../local/stack/local-aws.ts';
import { RotationInput } from '../workflows/rotate-device/contract.ts';
import { parseTopic } from '../workflows/rotate-device/protocol.ts';
import { fleetInbox } from './fleet-inbox.ts';
import { type ToFleet, ToStack } from './fleet-messages.ts';
import { countLogBytes, timeFunctions } from './fleet-meters.ts';
import { provisionBenchDevices } from './fleet-provision.ts';
import type { FleetSizeResult } from './fleet-result.ts';
import { PeakRss } from './peak-rss.ts';
import { mean, percentile } from './stats.ts';
import { mainThreadCpuMs } from './thread-cpu.ts';

const ANY_PORTS = { stepFunctions: 0, iot: 0, mqtt: 0, dynamodb: 0, events: 0 } as const;

/** The benchmark gave up waiting: something is stuck, and the figures would lie. */
export class FleetBenchmarkTimeoutError extends Error {
  override readonly name = 'FleetBenchmarkTimeoutError';
}

export async function runFleetSize(size: number): Promise<FleetSizeResult> {
  const peak = new PeakRss();
  const logBytes = countLogBytes();
  const dir = await mkdtemp(join(tmpdir(), 'recert-bench-'));
  const local = await LocalAws.start({
    stateDir: dir,
    ports: ANY_PORTS,
    clockSpeed: 1,
    functionLogLevel: 'INFO',
    // As `recert local up` runs it: the functions on a worker thread, beside the services.
    functionWorkers: Number(process.env.RECERT_BENCH_FUNCTION_WORKERS ?? 1),
    // RECERT_BENCH_PROFILE: the worker threads' profiles beside the process's own (--cpu-prof).
    ...(process.env.RECERT_BENCH_PROFILE
      ? { functionWorkersCpuProfileDir: process.env.RECERT_BENCH_PROFILE }
      : {}),
    // No quotas here, so no pacing either: the campaign starts rotations as fast as it can, and the
    // figures measure recert's own work (`npm run bench:quota` measures the paced run).
    functionSettings: {
      pacing: {
        startsPerSecond: 100_000,
        maxInFlight: Number(process.env.RECERT_BENCH_MAX_IN_FLIGHT ?? 1_000_000),
        failureRateThreshold: 1,
        minFinishedForFailureRate: 1,
      },
    },
  });
  const fleetProcess = fork(join(import.meta.dirname, 'fleet-devices.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const fromFleet = fleetInbox(fleetProcess, (message, failure) =>
    failure === 'timeout' ? new FleetBenchmarkTimeoutError(message) : new Error(message),
  );
  let traffic: BusTraffic | undefined;
  let executions: ExecutionWatch | undefined;
  try {
    const functionTimes = timeFunctions(local.functions);

    // Prepare: every device's certificate expires in 10 days, inside the audit's 30-day threshold.
    const provisionStarted = performance.now();
    const devices = await provisionBenchDevices(local, size, 'bench');
    const provisionMs = performance.now() - provisionStarted;
    const handover: ToFleet = {
      type: 'devices',
      endpoint: local.endpoints.mqtt,
      serverCaPem: await readFile(local.endpoints.rootCaPath, 'utf8'),
      devices,
    };
    fleetProcess.send(handover);
    const connected = await fromFleet.next('connected', 600_000);
    if (connected.type !== 'connected' || connected.connected !== size) {
      throw new Error(
        `only ${connected.type === 'connected' ? connected.connected : 0} of ${size} devices connected`,
      );
    }

    // Measure from here: counters start at the audit.
    const invocationsAtStart = local.functions.invocations();
    const invocationsBefore = sum(invocationsAtStart.values());
    const dynamoBefore = local.dynamodb.requestCounts();
    // Counted by the local IoT as calls arrive, from every client (the functions run on a worker thread).
    const iotBefore = new Map(Object.entries(local.iot.apiCallCounts()));
    const logBytesBefore = logBytes.bytes();
    functionTimes.reset();
    traffic = watchBus(local);
    executions = watchExecutions(local, size);

    const cpuBefore = process.cpuUsage();
    const mainThreadBefore = mainThreadCpuMs();
    const auditStarted = local.clock.now();
    await local.clients.iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] }),
    );
    const finished = await executions.all(Math.max(120_000, size * 400));
    const wallMs = finished.lastStopDate - auditStarted;
    // The outcome recorder runs from the status-change events after the executions end.
    await local.idle();
    const cpu = process.cpuUsage(cpuBefore);
    const mainThreadAfter = mainThreadCpuMs();

    const billing = local.stepFunctions.billing({ stateMachineArn: local.resources.stateMachineArn });
    const transitions = finished.executionArns.map((arn) => local.stepFunctions.billedTransitions(arn) ?? 0);
    const dynamo = diffCounts(local.dynamodb.requestCounts(), dynamoBefore);
    const writes = sumOf(dynamo, [
      'PutItem',
      'UpdateItem',
      'DeleteItem',
      'BatchWriteItem',
      'TransactWriteItems',
    ]);
    const reads = sumOf(dynamo, ['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
    const iot = diffCounts(new Map(Object.entries(local.iot.apiCallCounts())), iotBefore);
    const itemBytes = await meanItemBytes(local);

    fleetProcess.send({ type: 'stop' } satisfies ToFleet);
    const stopped = await fromFleet.next('stopped', 120_000);
    if (stopped.type !== 'stopped') throw new Error('the fleet process did not stop cleanly');

    const waits = traffic.deviceWaitMs;
    const cloudMs = finished.durations.map((d) => d.executionMs - (waits.get(d.thingName) ?? 0));
    return {
      size,
      provisionMs: Math.round(provisionMs),
      connectMs: Math.round(connected.ms),
      wallMs,
      rotationsPerSecond: round((size / wallMs) * 1000, 2),
      rotationMs: {
        p50: Math.round(percentile(cloudMs, 50)),
        p95: Math.round(percentile(cloudMs, 95)),
        executionP50: Math.round(
          percentile(
            finished.durations.map((d) => d.executionMs),
            50,
          ),
        ),
        deviceWaitP50: Math.round(percentile([...traffic.deviceWaitMs.values()], 50)),
      },
      cpuMsPerRotation: {
        stack: round((cpu.user + cpu.system) / 1000 / size, 1),
        ...(mainThreadBefore !== undefined && mainThreadAfter !== undefined
          ? { stackMainThread: round((mainThreadAfter - mainThreadBefore) / size, 1) }
          : {}),
        fleet: round(stopped.cpuMs / size, 1),
      },
      memory: { stackPeakRssBytes: peak.bytes(), fleetPeakRssBytes: stopped.peakRssBytes },
      perRotation: {
        billedStateTransitions: round(Number(billing.billedStateTransitions) / size, 2),
        billedStateTransitionsMax: Math.max(...transitions),
        lambdaInvocations: round((sum(local.functions.invocations().values()) - invocationsBefore) / size, 2),
        lambdaMs: round(functionTimes.totalMs() / size, 1),
        dynamodbWrites: round(writes / size, 2),
        dynamodbReads: round(reads / size, 2),
        dynamodbMeanItemBytes: itemBytes,
        iotMessages: round(traffic.managementMessages / size, 2),
        iotPresenceConnects: round(traffic.presenceConnected / size, 2),
        iotDeviceReplies: round(traffic.deviceReplies / size, 2),
        iotApiCalls: Object.fromEntries([...iot].map(([op, n]) => [op, round(n / size, 2)])),
        logBytes: Math.round((logBytes.bytes() - logBytesBefore) / size),
      },
      lambdaInvocationsByFunction: Object.fromEntries(
        diffCounts(local.functions.invocations(), invocationsAtStart),
      ),
      lambdaMsByFunction: functionTimes.byFunction(),
      dynamodbRequests: Object.fromEntries(dynamo),
      fleet: { rotated: stopped.rotated, withoutWorkingCredentials: stopped.withoutWorkingCredentials },
    };
  } finally {
    traffic?.close();
    executions?.close();
    if (fleetProcess.connected) fleetProcess.kill();
    await local.close();
    await rm(dir, { recursive: true, force: true });
    logBytes.restore();
  }
}

interface BusTraffic {
  /** Per thing: time between csr_req accepted and csr_res accepted, plus crt_res to crt_ack. */
  readonly deviceWaitMs: Map<string, number>;
  readonly managementMessages: number;
  readonly deviceReplies: number;
  readonly presenceConnected: number;
  close(): void;
}

/**
 * Watches the broker's bus, where every message gets the time the broker accepted it: the device's
 * own share of a rotation is the time from each request to the cloud to the device's answer to it.
 */
function watchBus(local: LocalAws): BusTraffic {
  const waits = new Map<string, number>();
  const askedAt = new Map<string, number>();
  const counts = { managementMessages: 0, deviceReplies: 0, presenceConnected: 0 };
  const unsubscribe = local.iot.bus.subscribe((message) => {
    if (message.topic.startsWith('$aws/events/presence/connected/')) counts.presenceConnected += 1;
    const parsed = parseTopic(message.topic);
    if (!parsed) return;
    counts.managementMessages += 1;
    const key = `${parsed.thingName}/${parsed.kind === 'csr_res' ? 'csr_req' : parsed.kind === 'crt_ack' ? 'crt_res' : parsed.kind}`;
    switch (parsed.kind) {
      case 'csr_req':
      case 'crt_res':
        askedAt.set(key, message.receivedAt);
        break;
      case 'csr_res':
      case 'crt_ack': {
        counts.deviceReplies += 1;
        const asked = askedAt.get(key);
        if (asked === undefined) break;
        askedAt.delete(key);
        waits.set(parsed.thingName, (waits.get(parsed.thingName) ?? 0) + (message.receivedAt - asked));
        break;
      }
      case 'crt_err':
        counts.deviceReplies += 1;
        break;
    }
  });
  return {
    deviceWaitMs: waits,
    get managementMessages() {
      return counts.managementMessages;
    },
    get deviceReplies() {
      return counts.deviceReplies;
    },
    get presenceConnected() {
      return counts.presenceConnected;
    },
    close: () => {
      unsubscribe();
    },
  };
}

interface ExecutionWatch {
  all(timeoutMs: number): Promise<{
    lastStopDate: number;
    executionArns: string[];
    durations: { thingName: string; executionMs: number }[];
  }>;
  close(): void;
}

/** Collects every rotation execution that ends; any end but SUCCEEDED fails the benchmark. */
function watchExecutions(local: LocalAws, expected: number): ExecutionWatch {
  const durations: { thingName: string; executionMs: number }[] = [];
  const executionArns: string[] = [];
  let lastStopDate = 0;
  let failure: string | undefined;
  let wake: (() => void) | undefined;
  const unsubscribe = local.stepFunctions.onStatusChange((event) => {
    const { detail } = event;
    if (detail.stateMachineArn !== local.resources.stateMachineArn || detail.status === 'RUNNING') return;
    if (detail.status !== 'SUCCEEDED') {
      failure = `execution ${detail.name} ended ${detail.status}: ${detail.error ?? ''} ${detail.cause ?? ''}`;
    } else {
      const input = RotationInput.safeParse(JSON.parse(detail.input));
      const stopDate = detail.stopDate ?? local.clock.now();
      executionArns.push(detail.executionArn);
      durations.push({
        thingName: input.success ? input.data.thingName : detail.name,
        executionMs: stopDate - detail.startDate,
      });
      lastStopDate = Math.max(lastStopDate, stopDate);
    }
    wake?.();
  });
  return {
    all: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (durations.length < expected) {
        if (failure) throw new Error(failure);
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new FleetBenchmarkTimeoutError(
            `${durations.length} of ${expected} rotations succeeded in ${timeoutMs} ms`,
          );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 1000));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return { lastStopDate, executionArns, durations };
    },
    close: () => {
      unsubscribe();
    },
  };
}

/** The mean size of the rotation records, as DynamoDB sizes items (names + values, roughly). */
async function meanItemBytes(local: LocalAws): Promise<number> {
  const { Items } = await local.clients.documents.send(
    new ScanCommand({ TableName: local.resources.rotationTableName, Limit: 200 }),
  );
  const sizes = (Items ?? []).map((item) => Buffer.byteLength(JSON.stringify(item)));
  return sizes.length === 0 ? 0 : Math.round(mean(sizes));
}

function diffCounts(
  after: ReadonlyMap<string, number>,
  before: ReadonlyMap<string, number>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, n] of after) {
    const d = n - (before.get(key) ?? 0);
    if (d > 0) out.set(key, d);
  }
  return out;
}

function sumOf(counts: ReadonlyMap<string, number>, keys: readonly string[]): number {
  return keys.reduce((n, key) => n + (counts.get(key) ?? 0), 0);
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

// Run by fleet.ts: one size per process, so each peak RSS belongs to that size alone.
if (process.send && process.argv[1] === import.meta.filename) {
  process.once('message', (raw: unknown) => {
    const request = ToStack.safeParse(raw);
    if (!request.success) {
      process.send?.({ type: 'failed', message: `not a run request: ${request.error.message}` });
      process.disconnect?.();
      return;
    }
    runFleetSize(request.data.size).then(
      (result) => process.send?.({ type: 'result', result }, () => process.disconnect?.()),
      (error: unknown) => {
        const named = error instanceof Error ? error : new Error(String(error));
        process.send?.({ type: 'failed', message: `${named.name}: ${named.message}` }, () =>
          process.disconnect?.(),
        );
      },
    );
  });
}
