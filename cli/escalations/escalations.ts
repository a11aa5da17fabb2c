import { z } from 'zod';
import { readPublishedJournal } from '../../local/index.ts';
import { readableError } from '../rotations/error-text.ts';
import { nextStep } from '../rotations/next-step.ts';
import { getRecord, type RotationRecord } from '../rotations/records.ts';
import type { Target } from '../target/target.ts';

/** The message the outcome recorder publishes on the escalation topic (see functions/event-triggered/outcome-recorder). */
const EscalationMessage = z.object({
  thingName: z.string().nullish(),
  executionArn: z.string(),
  status: z.string(),
  error: z.string(),
  cause: z.string().nullish(),
  phase: z.string().nullish(),
  rotationId: z.string().nullish(),
  unprovenCertificateId: z.string().nullish(),
  unprovenCertificateRevoked: z.boolean().optional(),
});

export interface Escalation {
  /** When it was published. */
  readonly at: string;
  readonly thingName: string | undefined;
  readonly status: string;
  readonly phase: string | undefined;
  readonly rotationId: string | undefined;
  /** The error and its cause, as `rotations show` prints a record's last error. */
  readonly reason: string;
  readonly executionArn: string;
  readonly unprovenCertificateId: string | undefined;
  readonly unprovenCertificateRevoked: boolean;
  /** What to do now, from the thing's rotation record as it is now. */
  readonly nextStep: string;
}

/** What the operator can do about one escalation, given the thing's record now. */
export function escalationNextStep(
  escalated: { thingName: string | undefined; executionArn: string },
  record: RotationRecord | undefined,
): string {
  const thing = escalated.thingName;
  if (thing === undefined)
    return '"recert rotations list --status FAILED,TIMED_OUT,ABORTED" finds the rotation.';
  if (record === undefined) return `no rotation record now: "recert rotate ${thing}" starts a new rotation.`;
  if (record.executionArn !== escalated.executionArn) {
    return `a later rotation of ${thing} is ${record.status}: "recert rotations show ${thing}" follows it.`;
  }
  return nextStep(record, undefined);
}

/**
 * The escalations the local SNS published, newest first: each with the thing's next step, from
 * its rotation record now (one read per thing). `since` is an ISO time; malformed messages are
 * reported through `onMalformed` and left out.
 */
export async function localEscalations(
  target: Target,
  stateDir: string,
  options: {
    since?: string | undefined;
    limit?: number | undefined;
    onMalformed?: (messageId: string) => void;
  },
): Promise<Escalation[]> {
  const entries = (await readPublishedJournal(stateDir, target.resources.escalationTopicArn))
    .filter((entry) => options.since === undefined || entry.timestamp >= options.since)
    .reverse()
    .slice(0, options.limit);
  const records = new Map<string, RotationRecord | undefined>();
  const escalations: Escalation[] = [];
  for (const entry of entries) {
    let parsed: z.infer<typeof EscalationMessage>;
    try {
      parsed = EscalationMessage.parse(JSON.parse(entry.message));
    } catch {
      options.onMalformed?.(entry.messageId);
      continue;
    }
    const thingName = parsed.thingName ?? undefined;
    if (thingName !== undefined && !records.has(thingName))
      records.set(thingName, await getRecord(target, thingName));
    const cause = parsed.cause ? readableError(`${parsed.error}: ${parsed.cause}`) : parsed.error;
    escalations.push({
      at: entry.timestamp,
      thingName,
      status: parsed.status,
      phase: parsed.phase ?? undefined,
      rotationId: parsed.rotationId ?? undefined,
      reason: cause,
      executionArn: parsed.executionArn,
      unprovenCertificateId: parsed.unprovenCertificateId ?? undefined,
      unprovenCertificateRevoked: parsed.unprovenCertificateRevoked === true,
      nextStep: escalationNextStep(
        { thingName, executionArn: parsed.executionArn },
        thingName === undefined ? undefined : records.get(thingName),
      ),
    });
  }
  return escalations;
}
