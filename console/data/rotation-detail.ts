import { DescribeCertificateCommand, ListAttachedPoliciesCommand } from '@aws-sdk/client-iot';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import type { Target } from '../../cli/index.ts';
import {
  buildTimeline,
  isNamed,
  nextStep,
  type PublicRecord,
  publicRecord,
  readExecutionHistory,
  requireRecord,
  type TimelineStep,
} from '../../cli/index.ts';
import { type StateOutcome, stateOutcomes } from '../state-outcomes.ts';

/** Events shown at most: a rotation makes a few dozen; a runaway execution is cut, and says so. */
export const MAX_EVENTS = 2000;

export interface CertificateView {
  readonly role: 'old' | 'new' | 'revoked';
  readonly certificateId: string;
  readonly status: string;
  readonly notAfter: string | undefined;
  readonly policies: readonly string[];
}

export interface RotationDetail {
  readonly record: PublicRecord;
  readonly execution: DescribeExecutionCommandOutput | undefined;
  readonly executionNote: string | undefined;
  readonly events: readonly HistoryEvent[];
  readonly eventsCut: boolean;
  readonly timeline: readonly TimelineStep[];
  readonly outcomes: ReadonlyMap<string, StateOutcome>;
  readonly certificates: readonly CertificateView[];
  readonly consoleLink: string | undefined;
  /** What to do next, as `recert rotations show` says it. */
  readonly nextStep: string;
}

/** Everything the rotation page shows of one thing: record, execution, history, certificates. */
export async function rotationDetail(target: Target, thingName: string): Promise<RotationDetail> {
  const record = await requireRecord(target, thingName);
  let execution: DescribeExecutionCommandOutput | undefined;
  let events: HistoryEvent[] = [];
  let eventsCut = false;
  let executionNote: string | undefined;
  try {
    execution = await target.sfn.send(new DescribeExecutionCommand({ executionArn: record.executionArn }));
    // Inputs and outputs are shown (redacted) on the page.
    ({ events, cut: eventsCut } = await readExecutionHistory(target.sfn, record.executionArn, {
      includeExecutionData: true,
      maxEvents: MAX_EVENTS,
    }));
  } catch (error) {
    // Step Functions forgets executions 90 days after they end; the record outlives them.
    if (!isNamed(error, 'ExecutionDoesNotExist')) throw error;
    executionNote = 'the execution no longer exists in Step Functions (ended more than 90 days ago?)';
  }
  const newId = record.newCertificateId ?? record.provenCertificateId;
  const wanted: Array<[CertificateView['role'], string]> = [['old', record.oldCertificateId]];
  if (newId !== undefined && newId !== record.oldCertificateId) wanted.push(['new', newId]);
  for (const id of record.revokedCertificateIds ?? []) if (id !== newId) wanted.push(['revoked', id]);
  const certificates = await Promise.all(wanted.map(([role, id]) => certificateView(target, role, id)));
  return {
    record: publicRecord(record),
    execution,
    executionNote,
    events,
    eventsCut,
    timeline: buildTimeline(events),
    outcomes: stateOutcomes(events),
    certificates,
    consoleLink: target.consoleLink(record.executionArn),
    nextStep: nextStep(record, execution?.redriveStatus),
  };
}

async function certificateView(
  target: Target,
  role: CertificateView['role'],
  certificateId: string,
): Promise<CertificateView> {
  try {
    const out = await target.iot.send(new DescribeCertificateCommand({ certificateId }));
    const d = out.certificateDescription;
    const policies =
      d?.certificateArn === undefined
        ? []
        : (
            (await target.iot.send(new ListAttachedPoliciesCommand({ target: d.certificateArn }))).policies ??
            []
          ).map((p) => p.policyName ?? '?');
    return {
      role,
      certificateId,
      status: d?.status ?? 'UNKNOWN',
      notAfter: d?.validity?.notAfter?.toISOString(),
      policies,
    };
  } catch (error) {
    if (!isNamed(error, 'ResourceNotFoundException')) throw error;
    return { role, certificateId, status: 'DELETED', notAfter: undefined, policies: [] };
  }
}
