/**
 * One quota run: the local AWS under AWS IoT's default API quotas, a healthy fleet, one audit and one
 * campaign paced from the same quotas; measures its rate against the tightest quota's, and failures.
 */
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeAuditTaskCommand,
  StartOnDemandAuditTaskCommand,
  UpdateAccountAuditConfigurationCommand,
} from '@aws-sdk/client-iot';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ApiQuotas } from '../local/iot/quotas/api-quotas.ts';
import { LocalAws } from '../local/stack/local-aws.ts';
import { type DerivedPacing, derivePacing } from '../workflows/campaign/pacing.ts';
import { META_ENTRY } from '../workflows/campaign/table.ts';
import type { CampaignInput } from '../workflows/campaign/types.ts';
import { fleetInbox } from './fleet-inbox.ts';
import type { ToFleet } from './fleet-messages.ts';
import { provisionBenchDevices } from './fleet-provision.ts';
import {
  figuresOf,
  type QuotaRunFigures,
  type QuotaVerdict,
  type RotationSpan,
  verdictOf,
} from './quota-measure.ts';
import { quotaRunQuotas } from './quota-settings.ts';

const EXPIRING_CHECK = 'DEVICE_CERTIFICATE_EXPIRING_CHECK';
const ANY_PORTS = { stepFunctions: 0, iot: 0, mqtt: 0, dynamodb: 0, events: 0 } as const;

export interface QuotaRunOptions {
  readonly devices: number;
  /** AWS's default IoT quotas times this (1: the defaults). */
  readonly quotaScale?: number;
  /**
   * Speed of the local clock that the quotas, the pacer and the workflow share. Below 1 the whole
   * run is slowed down alike, so a machine that cannot keep up with the real rate still measures it.
   */
  readonly clockSpeed?: number;
  /** Worker threads for the functions (see LocalAws). */
  readonly functionWorkers?: number;
  /** Real seconds to wait for the rotations before giving up. */
  readonly timeoutSeconds?: number;
  readonly progress?: (line: string) => void;
}

export interface QuotaRunResult {
  readonly devices: number;
  readonly quotaScale: number;
  readonly clockSpeed: number;
  readonly campaignId: string;
  readonly pacing: {
    readonly startsPerSecond: number;
    readonly maxInFlight: number;
    readonly headroom: number;
    readonly limitedBy: DerivedPacing['limitedBy'];
  };
  /** Rotations per second, in seconds of the local clock (the quotas' own time). */
  readonly figures: QuotaRunFigures;
  /** Measured rotations per second over the tightest quota's allowance. */
  readonly verdict: QuotaVerdict;
  /** ThrottlingExceptions (and refused MQTT connects) the local IoT answered, by operation. */
  readonly throttled: Readonly<Record<string, number>>;
  readonly throttledTotal: number;
  /** The campaign's META counters at the end. */
  readonly campaign: Readonly<Record<string, unknown>>;
  readonly fleet: { readonly rotated: number; readonly withoutWorkingCredentials: number };
  readonly wallSeconds: number;
}

export class QuotaRunError extends Error {
  override readonly name = 'QuotaRunError';
}

/** The local IoT's quota counter: not part of its public interface, read only for this measurement. */
function quotasOf(local: LocalAws): ApiQuotas | undefined {
  const quotas: unknown = Reflect.get(local.iot, 'quotas');
  return quotas instanceof ApiQuotas ? quotas : undefined;
}

export async function runQuotaCampaign(options: QuotaRunOptions): Promise<QuotaRunResult> {
  const quotaScale = options.quotaScale ?? 1;
  const clockSpeed = options.clockSpeed ?? 1;
  const say = options.progress ?? (() => undefined);
  const quotas = quotaRunQuotas(quotaScale);
  const derived = derivePacing({ quotas: quotas.pacing });
  const wallStarted = performance.now();
  // The functions' metrics are EMF lines on stdout; here they would bury the figures.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dir = await mkdtemp(join(tmpdir(), 'recert-quota-'));
  const local = await LocalAws.start({
    stateDir: dir,
    ports: ANY_PORTS,
    clockSpeed,
    quotas: quotas.enforced,
    // A pacer turn is a minute of the local clock; a slowed clock must not stretch it past the
    // pacer's Lambda timeout, which runs in wall time.
    pacerTickSeconds: 60 * Math.min(1, clockSpeed),
    ...(options.functionWorkers ? { functionWorkers: options.functionWorkers } : {}),
  });
  const fleetProcess = fork(join(import.meta.dirname, 'fleet-devices.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const fromFleet = fleetInbox(fleetProcess, (message) => new QuotaRunError(message));
  const spans = new Map<string, RotationSpan>();
  const unsubscribe = local.stepFunctions.onStatusChange(({ detail }) => {
    if (detail.stateMachineArn !== local.resources.stateMachineArn || detail.status === 'RUNNING') return;
    spans.set(detail.executionArn, {
      name: detail.name,
      startMs: detail.startDate,
      stopMs: detail.stopDate ?? local.clock.now(),
      status: detail.status,
      error: detail.error ?? undefined,
      cause: detail.cause ?? undefined,
    });
  });
  try {
    say(`provisioning ${options.devices} devices`);
    const devices = await provisionBenchDevices(local, options.devices, 'quota');
    fleetProcess.send({
      type: 'devices',
      endpoint: local.endpoints.mqtt,
      serverCaPem: await readFile(local.endpoints.rootCaPath, 'utf8'),
      devices,
    } satisfies ToFleet);
    const connected = await fromFleet.next('connected', 600_000);
    if (connected.type !== 'connected' || connected.connected !== options.devices) {
      throw new QuotaRunError(
        `only ${connected.type === 'connected' ? connected.connected : 0} of ${options.devices} devices connected`,
      );
    }

    // The campaign is started here, with the pacing of these quotas; the audit's own notification
    // (which starts a campaign with the deployment's pacing) is switched off.
    await local.clients.iot.send(
      new UpdateAccountAuditConfigurationCommand({
        auditNotificationTargetConfigurations: {
          SNS: {
            targetArn: local.resources.auditTopicArn,
            roleArn: local.resources.auditTopicArn,
            enabled: false,
          },
        },
      }),
    );
    say('running the Device Defender audit');
    const audit = await local.clients.iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: [EXPIRING_CHECK] }),
    );
    const taskId = audit.taskId ?? '';
    await auditCompleted(local, taskId);
    const campaignId = `quota-${taskId}`.slice(0, 80);
    const input: CampaignInput = {
      campaignId,
      source: { kind: 'audit', taskId, checkNames: [EXPIRING_CHECK] },
      pacing: {
        startsPerSecond: derived.startsPerSecond,
        maxInFlight: derived.maxInFlight,
        failureRateThreshold: derived.failureRateThreshold,
        minFinishedForFailureRate: derived.minFinishedForFailureRate,
      },
    };
    say(
      `campaign ${campaignId}: ${derived.startsPerSecond.toFixed(2)} starts/s, limited by ${derived.limitedBy.api} (${derived.limitedBy.rotationsPerSecond.toFixed(2)}/s)`,
    );
    await local.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.resources.campaignStateMachineArn,
        name: campaignId,
        input: JSON.stringify(input),
      }),
    );
    const expectedSeconds = options.devices / derived.startsPerSecond / clockSpeed;
    const timeoutMs = (options.timeoutSeconds ?? Math.max(120, expectedSeconds * 3 + 60)) * 1000;
    await waitFor(
      () => spans.size >= options.devices,
      timeoutMs,
      () => say(`${spans.size} of ${options.devices} rotations ended`),
    ).catch((error: unknown) => {
      throw new QuotaRunError(
        `${spans.size} of ${options.devices} rotations ended in ${timeoutMs / 1000} s`,
        { cause: error },
      );
    });
    // The outcome recorder counts the last outcomes after the executions end.
    await local.idle();
    const meta = await local.clients.documents.send(
      new GetCommand({
        TableName: local.resources.campaignTableName,
        Key: { campaignId, entry: META_ENTRY },
        ConsistentRead: true,
      }),
    );
    fleetProcess.send({ type: 'stop' } satisfies ToFleet);
    const stopped = await fromFleet.next('stopped', 120_000);
    const figures = figuresOf([...spans.values()]);
    const throttled = quotasOf(local)?.throttledCounts() ?? {};
    return {
      devices: options.devices,
      quotaScale,
      clockSpeed,
      campaignId,
      pacing: {
        startsPerSecond: derived.startsPerSecond,
        maxInFlight: derived.maxInFlight,
        headroom: derived.headroom,
        limitedBy: derived.limitedBy,
      },
      figures,
      verdict: verdictOf(figures, derived.limitedBy.rotationsPerSecond, options.devices),
      throttled,
      throttledTotal: Object.values(throttled).reduce((sum, n) => sum + n, 0),
      campaign: campaignSummary(meta.Item),
      fleet:
        stopped.type === 'stopped'
          ? { rotated: stopped.rotated, withoutWorkingCredentials: stopped.withoutWorkingCredentials }
          : { rotated: 0, withoutWorkingCredentials: -1 },
      wallSeconds: Math.round((performance.now() - wallStarted) / 100) / 10,
    };
  } finally {
    unsubscribe();
    if (fleetProcess.connected) fleetProcess.kill();
    await local.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The META item without its cursors: status, counters, pacing, stop reason. */
function campaignSummary(item: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!item) return {};
  const { enqueueCursor: _cursor, source: _source, ...rest } = item;
  return rest;
}

async function auditCompleted(local: LocalAws, taskId: string): Promise<void> {
  await waitFor(async () => {
    const task = await local.clients.iot.send(new DescribeAuditTaskCommand({ taskId }));
    if (task.taskStatus === 'FAILED' || task.taskStatus === 'CANCELED') {
      throw new QuotaRunError(`audit task ${taskId} ended ${task.taskStatus}`);
    }
    return task.taskStatus === 'COMPLETED';
  }, 120_000);
}

async function waitFor(
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  onTick: () => void = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastTick = Date.now();
  while (!(await done())) {
    if (Date.now() > deadline) throw new QuotaRunError(`gave up after ${timeoutMs} ms`);
    if (Date.now() - lastTick > 5_000) {
      lastTick = Date.now();
      onTick();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
