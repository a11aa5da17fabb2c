import { ROTATION_STATUSES } from '../../workflows/rotate-device/table.ts';
import { auditTaskIdOf, campaignIdsFor, campaignOfAudit } from '../campaigns/campaign-id.ts';
import {
  type AuditTaskSummary,
  certificateFindings,
  describeAuditTask,
  latestAuditTask,
  thingsOfPrincipal,
} from '../iot/audit.ts';
import { certificateState, statusOrDeleted } from '../iot/certificate-state.ts';
import type { Target } from '../target/target.ts';
import { batchGetRecords } from './batch-get.ts';
import { readableError } from './error-text.ts';
import { collect, queryByStatus, RotationRecord } from './records.ts';

export type DeviceState = 'ROTATED' | 'PENDING' | 'FAILED' | 'ABANDONED' | 'NOT STARTED';

/** One device of a campaign: the certificate found, and where its rotation stands. */
export interface DeviceLine {
  readonly thingName: string;
  readonly certificateId: string;
  readonly checks: string;
  readonly state: DeviceState;
  readonly rotationStatus: string | undefined;
  readonly reason: string | undefined;
  /** The status of the certificate the audit found: ACTIVE means it is still in use, still expiring. */
  readonly certificateStatus: string;
  readonly stillExpiring: boolean;
}

export interface ComplianceReport {
  readonly campaign: string;
  readonly audit: AuditTaskSummary | null;
  readonly summary: {
    readonly devicesFound: number;
    readonly rotated: number;
    readonly pending: number;
    readonly failed: number;
    readonly abandoned: number;
    readonly notStarted: number;
    readonly certificatesStillExpiring: number;
  };
  readonly devices: DeviceLine[];
}

function stateOf(record: RotationRecord | undefined): DeviceState {
  switch (record?.status) {
    case undefined:
      return 'NOT STARTED';
    case 'SUCCEEDED':
      return 'ROTATED';
    case 'IN_PROGRESS':
      return 'PENDING';
    case 'ABANDONED':
      return 'ABANDONED';
    default:
      return 'FAILED';
  }
}

async function records(target: Target, things: readonly string[]): Promise<Map<string, RotationRecord>> {
  const found = new Map<string, RotationRecord>();
  for (const item of (await batchGetRecords(target, things)).values()) {
    const parsed = RotationRecord.safeParse(item);
    if (parsed.success) found.set(parsed.data.thingName, parsed.data);
  }
  return found;
}

async function certificate(target: Target, certificateId: string): Promise<{ arn?: string; status: string }> {
  const state = await certificateState(target.iot, certificateId);
  return { ...(state?.arn ? { arn: state.arn } : {}), status: statusOrDeleted(state) };
}

/**
 * The compliance report of a campaign. For an audit task: every (thing, certificate) it found and
 * how its rotation went, matched by the old certificate (whoever started the rotation); for any
 * other campaign (e.g. `manual`): the rotations recorded under that name.
 */
export async function complianceReport(
  target: Target,
  campaign: string | undefined,
  now: number,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<ComplianceReport> {
  const taskId = campaign === undefined ? undefined : auditTaskIdOf(campaign);
  const audit =
    campaign === undefined
      ? await latestAuditTask(target.iot, now)
      : taskId === undefined
        ? undefined
        : await describeAuditTask(target.iot, taskId);
  // An audit's rotations are recorded under `audit-<taskId>` (older CLI runs: the bare task id).
  const name = audit ? campaignOfAudit(audit.taskId) : (campaign ?? '');
  const recordedUnder = audit ? campaignIdsFor(audit.taskId) : [name];
  const pairs: { thingName: string; certificateId: string; checks: string; status: string }[] = [];
  if (audit) {
    const findings = await certificateFindings(target.iot, audit.taskId);
    const checks = new Map<string, string[]>();
    for (const f of findings)
      checks.set(f.certificateId, [...(checks.get(f.certificateId) ?? []), f.checkName]);
    let done = 0;
    for (const [certificateId, names] of checks) {
      onProgress(++done, checks.size);
      const cert = await certificate(target, certificateId);
      const things = cert.arn ? await thingsOfPrincipal(target.iot, cert.arn) : [];
      // A certificate detached (or deleted) by its rotation no longer names its thing: the record does.
      const label = names.map((n) => n.replace(/^DEVICE_CERTIFICATE_|_CHECK$/g, '')).join('+');
      if (things.length === 0)
        pairs.push({ thingName: '', certificateId, checks: label, status: cert.status });
      for (const thingName of things)
        pairs.push({ thingName, certificateId, checks: label, status: cert.status });
    }
  }
  // Rotations recorded for the campaign, including the ones whose old certificate is detached.
  const campaignRecords = (
    await Promise.all(
      ROTATION_STATUSES.map((status) => collect(queryByStatus(target, { status, campaign: recordedUnder }))),
    )
  ).flat();
  const byThing = await records(target, [...new Set(pairs.map((p) => p.thingName).filter((t) => t !== ''))]);
  const devices: DeviceLine[] = [];
  const seen = new Set<string>();
  for (const pair of pairs) {
    const record =
      (pair.thingName ? byThing.get(pair.thingName) : undefined) ??
      campaignRecords.find((r) => r.oldCertificateId === pair.certificateId);
    const matches = record !== undefined && record.oldCertificateId === pair.certificateId;
    const thingName = pair.thingName || (matches ? record.thingName : '(no thing)');
    seen.add(`${thingName}/${pair.certificateId}`);
    devices.push(line(thingName, pair.certificateId, pair.checks, matches ? record : undefined, pair.status));
  }
  for (const record of campaignRecords) {
    if (seen.has(`${record.thingName}/${record.oldCertificateId}`)) continue;
    const cert = await certificate(target, record.oldCertificateId);
    devices.push(line(record.thingName, record.oldCertificateId, '-', record, cert.status));
  }
  devices.sort((a, b) => a.thingName.localeCompare(b.thingName));
  const count = (state: DeviceState): number => devices.filter((d) => d.state === state).length;
  return {
    campaign: name,
    audit: audit ?? null,
    summary: {
      devicesFound: devices.length,
      rotated: count('ROTATED'),
      pending: count('PENDING'),
      failed: count('FAILED'),
      abandoned: count('ABANDONED'),
      notStarted: count('NOT STARTED'),
      certificatesStillExpiring: devices.filter((d) => d.stillExpiring).length,
    },
    devices,
  };
}

function line(
  thingName: string,
  certificateId: string,
  checks: string,
  record: RotationRecord | undefined,
  certificateStatus: string,
): DeviceLine {
  const state = stateOf(record);
  return {
    thingName,
    certificateId,
    checks,
    state,
    rotationStatus: record?.status,
    reason:
      (state === 'FAILED' || state === 'ABANDONED') && record?.lastError !== undefined
        ? readableError(record.lastError)
        : undefined,
    certificateStatus,
    stillExpiring: certificateStatus === 'ACTIVE',
  };
}
