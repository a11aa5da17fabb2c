import { ListThingPrincipalsCommand } from '@aws-sdk/client-iot';
import type { FleetDeviceSpec, FleetSimulator } from '../../device/index.ts';
import type { LocalAws } from '../../local/index.ts';
import type { RotationRecord } from '../../workflows/rotate-device/record.ts';
import { certificateState, statusOrDeleted } from '../iot/certificate-state.ts';
import { expectedOutcome } from './expectations.ts';
import type { DeviceOutcome } from './report.ts';

export interface VerifyInput {
  readonly local: LocalAws;
  readonly fleet: FleetSimulator;
  readonly specs: readonly FleetDeviceSpec[];
  readonly expiring: readonly FleetDeviceSpec[];
  readonly records: ReadonlyMap<string, RotationRecord>;
  /** Real milliseconds a rotated device may take to be seen on its new certificate. */
  readonly settleMs?: number;
}

async function principalIds(local: LocalAws, thingName: string): Promise<string[]> {
  const { principals } = await local.clients.iot.send(new ListThingPrincipalsCommand({ thingName }));
  return (principals ?? []).map((arn) => arn.slice(arn.lastIndexOf('/') + 1));
}

async function statusOf(local: LocalAws, certificateId: string): Promise<string> {
  return statusOrDeleted(await certificateState(local.clients.iot, certificateId));
}

function short(id: string | undefined): string {
  return (id ?? '?').slice(0, 10);
}

function why(record: RotationRecord): string {
  return `${record.status} at ${record.phase}${record.lastError ? `: ${record.lastError}` : ''}`;
}

/**
 * Checks each device against what a correct recert leaves behind, in the registry and on the
 * device itself: rotated devices hold only their new, ACTIVE certificate and use it; refused ones
 * keep the certificate they had; devices outside the threshold were not touched.
 */
export async function checkOutcomes(input: VerifyInput): Promise<DeviceOutcome[]> {
  const { local, fleet, records } = input;
  const expiringNames = new Set(input.expiring.map((spec) => spec.thingName));
  const outcomes: DeviceOutcome[] = [];
  const settleBy = Date.now() + (input.settleMs ?? 10_000);
  for (const spec of input.specs) {
    const device = fleet.device(spec.thingName);
    const initial = device?.initialCertificateId ?? '';
    const record = records.get(spec.thingName);
    const attached = await principalIds(local, spec.thingName);
    const base = { thingName: spec.thingName, behaviour: spec.behaviour };
    const withStatus = record ? { status: record.status } : {};
    if (!expiringNames.has(spec.thingName)) {
      const ok = record === undefined && attached.length === 1 && attached[0] === initial;
      outcomes.push({
        ...base,
        expected: 'untouched',
        ok,
        ...withStatus,
        detail: ok
          ? 'not expiring, left alone'
          : `not expiring, yet touched (${attached.length} certificates)`,
      });
      continue;
    }
    if (expectedOutcome(spec.behaviour) === 'rotate') {
      if (record?.status !== 'SUCCEEDED') {
        outcomes.push({
          ...base,
          expected: 'rotate',
          ok: false,
          ...withStatus,
          detail: record
            ? `${record.status === 'IN_PROGRESS' ? 'not finished: ' : ''}${why(record)}`
            : 'no rotation started',
        });
        continue;
      }
      const newId = record.provenCertificateId ?? record.newCertificateId;
      const problems: string[] = [];
      if (attached.length !== 1 || attached[0] !== newId)
        problems.push(`thing holds ${attached.length} certificates`);
      if (newId === undefined || (await statusOf(local, newId)) !== 'ACTIVE')
        problems.push('new certificate not ACTIVE');
      const oldStatus = await statusOf(local, initial);
      if (oldStatus === 'ACTIVE') problems.push('old certificate still ACTIVE');
      while (device && device.state().certificateId !== newId && Date.now() < settleBy) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (device?.state().certificateId !== newId) problems.push('device does not use the new certificate');
      outcomes.push({
        ...base,
        expected: 'rotate',
        ok: problems.length === 0,
        ...withStatus,
        detail:
          problems.length === 0
            ? `rotated to ${short(newId)}, old ${short(initial)} ${oldStatus}`
            : problems.join('; '),
      });
      continue;
    }
    // Refused: the old certificate stays ACTIVE and attached, the device still uses it, and the only
    // other certificate tolerated is one the rotation still in flight is waiting on.
    const problems: string[] = [];
    if (record?.status === 'SUCCEEDED') problems.push('its rotation SUCCEEDED');
    if (!attached.includes(initial) || (await statusOf(local, initial)) !== 'ACTIVE') {
      problems.push('lost its own certificate');
    }
    const pending = record?.status === 'IN_PROGRESS' ? record.newCertificateId : undefined;
    const extra = attached.filter((id) => id !== initial && id !== pending);
    if (extra.length > 0) problems.push(`holds ${extra.length} certificate(s) no rotation waits on`);
    if (device && device.state().certificateId !== initial) problems.push('uses a new certificate');
    outcomes.push({
      ...base,
      expected: 'refuse',
      ok: problems.length === 0,
      ...withStatus,
      detail:
        problems.length > 0
          ? problems.join('; ')
          : `${record ? why(record) : 'no rotation started'}; keeps its certificate ${short(initial)}`,
    });
  }
  return outcomes;
}
