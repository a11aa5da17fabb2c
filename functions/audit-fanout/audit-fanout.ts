import { type IoTClient, ListAuditFindingsCommand, ListPrincipalThingsCommand } from '@aws-sdk/client-iot';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { InvalidStepInput, TransientAwsError } from '../../workflows/rotate-device/errors.ts';
import { executionName } from '../../workflows/rotate-device/naming.ts';
import type { RotationInput } from '../../workflows/rotate-device/types.ts';
import { awsCall, errorName, isNamed } from '../shared/aws-errors.ts';
import type { Counter, Log } from '../shared/observability.ts';

/** The Device Defender audit notification (the SNS message body), the fields recert reads. */
export const AuditNotification = z.object({
  accountId: z.string().optional(),
  taskId: z.string().regex(/^[a-zA-Z0-9-]{1,40}$/),
  taskStatus: z.string().optional(),
  auditDetails: z
    .array(
      z.object({
        checkName: z.string(),
        checkRunStatus: z.string().optional(),
        nonCompliantResourcesCount: z.number().optional(),
      }),
    )
    .optional(),
});

export const SnsEvent = z.object({
  Records: z
    .array(z.object({ Sns: z.object({ Message: z.string(), TopicArn: z.string().optional() }) }))
    .min(1),
});

export interface FanoutDeps {
  readonly iot: IoTClient;
  readonly sfn: SFNClient;
  readonly log: Log;
  readonly counter: Counter;
  readonly stateMachineArn: string;
  /** Audit checks whose findings start rotations. */
  readonly checkNames: readonly string[];
  /** Region of the IoT certificates (their ARNs are built from region, account and id). */
  readonly region: string;
  /** Used when the notification carries no accountId. */
  readonly accountId?: string;
}

export interface FanoutSummary {
  started: number;
  alreadyStarted: number;
  skipped: number;
  transientFailures: number;
}

/**
 * Audit finished -> one rotation per (thing, non-compliant certificate). Execution names come from
 * both, so a repeated audit or a redelivered message starts nothing new. A bad finding is logged,
 * counted and skipped; it never stops the others. A throttled call is retried by failing the whole
 * invocation at the end (Lambda's async retry) - harmless, since every start is idempotent.
 */
export async function fanOut(event: unknown, deps: FanoutDeps): Promise<FanoutSummary> {
  const sns = SnsEvent.safeParse(event);
  if (!sns.success)
    throw new InvalidStepInput('the audit fan-out needs an SNS event with Records[].Sns.Message');
  const summary: FanoutSummary = { started: 0, alreadyStarted: 0, skipped: 0, transientFailures: 0 };
  for (const record of sns.data.Records) {
    await fanOutNotification(record.Sns.Message, record.Sns.TopicArn, deps, summary);
  }
  deps.log.info('audit fan-out done', { ...summary });
  if (summary.transientFailures > 0) {
    throw new TransientAwsError(
      `${summary.transientFailures} rotations could not be started yet; retry the notification`,
    );
  }
  return summary;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function fanOutNotification(
  message: string,
  topicArn: string | undefined,
  deps: FanoutDeps,
  summary: FanoutSummary,
): Promise<void> {
  const parsed = AuditNotification.safeParse(parseJson(message));
  if (!parsed.success) {
    deps.counter.count('AuditNotificationIgnored');
    deps.log.warn('not an audit notification', { issues: parsed.error.issues.map((i) => i.path.join('.')) });
    return;
  }
  const audit = parsed.data;
  if (audit.taskStatus && audit.taskStatus !== 'COMPLETED') {
    deps.log.info('audit did not complete; nothing to rotate', {
      taskId: audit.taskId,
      taskStatus: audit.taskStatus,
    });
    return;
  }
  const topicParts = topicArn?.split(':') ?? [];
  const partition = topicParts[1] || 'aws';
  const accountId = audit.accountId ?? deps.accountId ?? topicParts[4];
  if (!accountId)
    throw new InvalidStepInput('the audit notification has no accountId and none is configured');
  const checks = deps.checkNames.filter((name) => {
    const detail = audit.auditDetails?.find((d) => d.checkName === name);
    return !audit.auditDetails || (detail !== undefined && (detail.nonCompliantResourcesCount ?? 1) > 0);
  });

  const seen = new Set<string>();
  for (const checkName of checks) {
    let nextToken: string | undefined;
    do {
      const page = await awsCall('ListAuditFindings', () =>
        deps.iot.send(
          new ListAuditFindingsCommand({
            taskId: audit.taskId,
            checkName,
            maxResults: 250,
            ...(nextToken ? { nextToken } : {}),
          }),
        ),
      );
      for (const finding of page.findings ?? []) {
        const certificateId = finding.nonCompliantResource?.resourceIdentifier?.deviceCertificateId;
        const findingId = finding.findingId ?? '?';
        if (finding.isSuppressed) continue;
        if (!certificateId || !/^[0-9a-f]{64}$/.test(certificateId)) {
          summary.skipped++;
          deps.counter.count('FindingSkipped', { reason: 'no-certificate' });
          deps.log.warn('finding without a device certificate skipped', { findingId, checkName });
          continue;
        }
        if (seen.has(certificateId)) continue;
        seen.add(certificateId);
        const certificateArn = `arn:${partition}:iot:${deps.region}:${accountId}:cert/${certificateId}`;
        await startForCertificate(certificateId, certificateArn, audit.taskId, findingId, deps, summary);
      }
      nextToken = page.nextToken || undefined;
    } while (nextToken);
  }
}

async function startForCertificate(
  certificateId: string,
  certificateArn: string,
  taskId: string,
  findingId: string,
  deps: FanoutDeps,
  summary: FanoutSummary,
): Promise<void> {
  try {
    const things: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await awsCall('ListPrincipalThings', () =>
        deps.iot.send(
          new ListPrincipalThingsCommand({
            principal: certificateArn,
            maxResults: 250,
            ...(nextToken ? { nextToken } : {}),
          }),
        ),
      );
      things.push(...(page.things ?? []));
      nextToken = page.nextToken || undefined;
    } while (nextToken);
    if (things.length === 0) {
      summary.skipped++;
      deps.counter.count('FindingSkipped', { reason: 'no-thing' });
      deps.log.warn('certificate attached to no thing; nothing to rotate', { findingId, certificateId });
      return;
    }
    for (const thingName of things) {
      const input: RotationInput = { thingName, oldCertificateId: certificateId, campaign: taskId };
      try {
        await awsCall('StartExecution', () =>
          deps.sfn.send(
            new StartExecutionCommand({
              stateMachineArn: deps.stateMachineArn,
              name: executionName(thingName, certificateId),
              input: JSON.stringify(input),
            }),
          ),
        );
        summary.started++;
        deps.counter.count('RotationStarted');
        deps.log.info('rotation started', { thingName, certificateId, taskId });
      } catch (error) {
        if (!isNamed(error, 'ExecutionAlreadyExists')) throw error;
        summary.alreadyStarted++;
        deps.log.info('rotation already started', { thingName, certificateId });
      }
    }
  } catch (error) {
    if (error instanceof TransientAwsError) {
      summary.transientFailures++;
      deps.log.warn('finding deferred by a transient error', {
        findingId,
        certificateId,
        error: errorName(error.cause),
      });
      return;
    }
    summary.skipped++;
    deps.counter.count('FindingSkipped', { reason: errorName(error) });
    deps.log.warn('finding skipped', { findingId, certificateId, error: errorName(error) });
  }
}
