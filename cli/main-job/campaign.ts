import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { DescribeAuditTaskCommand, StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type FleetDeviceSpec, FleetSimulator, LocalIotProvisioner, planFleet } from '../../device/index.ts';
import { namedError } from '../../lib/named-error.ts';
import { launchLocalAws } from '../../local/index.ts';
import { auditCampaignId } from '../../workflows/campaign/types.ts';
import { RotationRecord } from '../../workflows/rotate-device/record.ts';
import type { LogLevel } from '../logs/levels.ts';
import { chooseClock, keepSavingClock } from '../target/state-clock.ts';
import { type CampaignSummary, progressOf, readCampaign, summaryOf } from './campaign-progress.ts';
import { expectedOutcome } from './expectations.ts';
import type { MainJobFlags } from './flags.ts';
import type { Progress, ProgressCounts } from './progress.ts';
import type { CampaignReport } from './report.ts';
import { checkOutcomes } from './verify.ts';

const DAY = 86_400_000;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'ABANDONED']);

export class CampaignError extends namedError('CampaignError') {}

export interface CampaignOptions {
  readonly flags: MainJobFlags;
  readonly prefix: string;
  readonly progress: Progress;
  /** Real milliseconds between two looks at the rotation table. */
  readonly pollMs?: number;
  /** Aborted (Ctrl-C): stop waiting, check and report what there is, and close everything. */
  readonly signal?: AbortSignal;
}

/**
 * One fleet rotation on the local AWS: provision, audit, follow every rotation the audit's
 * notification starts, check each device's end state, and stop everything (the state stays).
 */
export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const { flags, prefix, progress } = options;
  const started = Date.now();
  const deadline = started + flags.timeoutSeconds * 1000;
  // The functions' metrics are EMF lines on stdout (CloudWatch reads them on Lambda); here they
  // would bury the report.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  // The SDK's notice about future Node versions, printed once per bundled SDK core, says nothing
  // about the campaign.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // A state directory reused from an earlier run continues its clock, so its records keep their order.
  const chosen = chooseClock(flags.stateDir, { speed: flags.clockSpeed });
  progress.phase(`starting the local AWS in ${flags.stateDir} (clock: ${chosen.description})`);
  const local = await launchLocalAws({
    stateDir: flags.stateDir,
    clockSpeed: flags.clockSpeed,
    clock: chosen.clock,
    ports: { stepFunctions: 0, iot: 0, mqtt: 0, dynamodb: 0, events: 0 },
    // With a core to spare, the functions run beside the services rather than on their thread.
    functionWorkers: availableParallelism() > 1 ? 1 : 0,
    ...(flags.privateCaDays !== undefined ? { privateCa: { validityDays: flags.privateCaDays } } : {}),
    ...(flags.functionLogLevel
      ? { functionLogLevel: flags.functionLogLevel.toUpperCase() as Uppercase<LogLevel>, functionLogFile: {} }
      : {}),
  });
  const stopSavingClock = keepSavingClock(flags.stateDir, chosen.clock);
  let fleet: FleetSimulator | undefined;
  try {
    const clockStart = local.clock.now();
    fleet = new FleetSimulator({
      endpoint: local.endpoints.mqtt,
      serverCaPem: await readFile(local.endpoints.rootCaPath, 'utf8'),
      provisioner: new LocalIotProvisioner(local.iot),
      clock: local.clock,
      seed: flags.seed,
      behaviourSettings: { offlineMs: flags.offlineMinutes * 60_000 },
    });
    const expiringIndex = (index: number): boolean =>
      Math.floor(((index + 1) * flags.expiringPercent) / 100) >
      Math.floor((index * flags.expiringPercent) / 100);
    const specs = planFleet({
      size: flags.devices,
      mix: flags.mix,
      prefix,
      seed: flags.seed,
      validity: (index) => ({
        notBefore: new Date(clockStart - DAY),
        // Expiring ones in 10 to 29 days: inside the 30-day threshold, yet still valid however many
        // simulated days the campaign takes; the others in a year.
        notAfter: new Date(clockStart + (expiringIndex(index) ? 10 + (index % 20) : 365) * DAY),
      }),
    });
    progress.phase(`provisioning ${specs.length} devices (${prefix}-*)`);
    await fleet.provision(specs);
    progress.phase('connecting the fleet');
    await fleet.start();

    progress.phase('running the Device Defender audit');
    const audit = await local.clients.iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] }),
    );
    const taskId = audit.taskId ?? '';
    const expiring = specs.filter((_, index) => expiringIndex(index));
    const behaviourOf = new Map(specs.map((spec) => [spec.thingName, spec.behaviour]));

    const readRecords = async (): Promise<Map<string, RotationRecord>> => {
      const records = new Map<string, RotationRecord>();
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await local.clients.documents.send(
          new ScanCommand({
            TableName: local.resources.rotationTableName,
            ConsistentRead: true,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          const parsed = RotationRecord.safeParse(item);
          if (parsed.success && behaviourOf.has(parsed.data.thingName)) {
            records.set(parsed.data.thingName, parsed.data);
          }
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return records;
    };
    const simulatedHours = (): number => (local.clock.now() - clockStart) / 3_600_000;

    // The audit's notification starts one paced campaign over its findings.
    const campaignId = auditCampaignId(taskId);
    let campaignSummary: CampaignSummary | undefined;
    progress.phase(`following ${expiring.length} rotations (campaign ${campaignId})`);
    let records = new Map<string, RotationRecord>();
    let timedOut = false;
    for (;;) {
      records = await readRecords();
      const meta = await readCampaign(local, campaignId);
      if (meta) campaignSummary = summaryOf(meta);
      const counts = countProgress(expiring, records);
      progress.update(meta ? { ...counts, campaign: progressOf(meta) } : counts, simulatedHours());
      const everyStarted = expiring.every((spec) => records.has(spec.thingName));
      const rotationsSettled = expiring.every((spec) => {
        if (expectedOutcome(spec.behaviour) === 'refuse') return true;
        return TERMINAL.has(records.get(spec.thingName)?.status ?? '');
      });
      if (everyStarted && rotationsSettled) break;
      if (Date.now() > deadline || options.signal?.aborted === true) {
        timedOut = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    }
    progress.done();

    progress.phase('checking every device');
    const auditTask = await local.clients.iot.send(new DescribeAuditTaskCommand({ taskId }));
    const check = auditTask.auditDetails?.DEVICE_CERTIFICATE_EXPIRING_CHECK;
    const outcomes = await checkOutcomes({ local, fleet, specs, expiring, records });
    const broken = await fleet.devicesWithoutWorkingCredentials();
    let billed = 0;
    for (const record of records.values())
      billed += local.stepFunctions.billedTransitions(record.executionArn) ?? 0;
    const byName = new Map(outcomes.map((o) => [o.thingName, o]));
    const failed = expiring
      .filter((spec) => expectedOutcome(spec.behaviour) === 'rotate')
      .filter((spec) => byName.get(spec.thingName)?.ok !== true)
      .map((spec) => ({
        thingName: spec.thingName,
        behaviour: spec.behaviour,
        reason: byName.get(spec.thingName)?.detail ?? 'not checked',
      }));
    const succeeded = [...records.values()].filter((r) => r.status === 'SUCCEEDED').length;
    // The campaign's counters once the last outcomes were recorded.
    const finalCampaign = await readCampaign(local, campaignId);
    if (finalCampaign) campaignSummary = summaryOf(finalCampaign);
    return {
      campaign: prefix,
      devices: specs.length,
      mix: flags.mixText,
      clockSpeed: flags.clockSpeed,
      audit: {
        taskId,
        status: auditTask.taskStatus ?? 'UNKNOWN',
        certificatesChecked: check?.totalResourcesCount ?? 0,
        nonCompliant: check?.nonCompliantResourcesCount ?? 0,
      },
      expiring: expiring.length,
      ...(campaignSummary ? { pacedCampaign: campaignSummary } : {}),
      rotationsStarted: records.size,
      succeeded,
      refusedAsExpected: outcomes.filter((o) => o.expected === 'refuse' && o.ok).length,
      failed,
      oldCertificatesRetired: [...records.values()].filter((r) => r.oldCertificateRetiredAt !== undefined)
        .length,
      devicesWithoutWorkingCredentials: broken,
      wallTimeSeconds: (Date.now() - started) / 1000,
      simulatedHours: simulatedHours(),
      billedTransitions: { total: billed, perRotation: records.size === 0 ? 0 : billed / records.size },
      timedOut,
      stateDir: local.stateDir,
      outcomes,
    };
  } finally {
    await fleet?.stop().catch(() => undefined);
    await stopSavingClock();
    await local.close();
  }
}

function countProgress(
  expiring: readonly FleetDeviceSpec[],
  records: ReadonlyMap<string, RotationRecord>,
): ProgressCounts {
  let rotated = 0;
  let inFlight = 0;
  let failed = 0;
  let refused = 0;
  for (const spec of expiring) {
    const record = records.get(spec.thingName);
    if (!record) continue;
    if (record.status === 'SUCCEEDED') rotated += 1;
    else if (record.status === 'IN_PROGRESS') inFlight += 1;
    else if (expectedOutcome(spec.behaviour) === 'refuse') refused += 1;
    else failed += 1;
  }
  return { expiring: expiring.length, rotated, inFlight, failed, refused };
}
