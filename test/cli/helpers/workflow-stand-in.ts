import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FunctionRegistry } from '../../../local/lambda/registry.ts';
import type { StepFunctionsEngine } from '../../../local/stepfunctions/index.ts';
import { removeCertificate } from '../../../workflows/rotate-device/certificates.ts';
import { DEVICE_POLICY_NAME } from '../../../workflows/rotate-device/device-policy.ts';

/**
 * What a rotation does in these tests, per thing:
 * - `succeed`: claims, issues a certificate, is acknowledged at once, retires the old certificate
 *   (detached, INACTIVE, deleted) and ends SUCCEEDED;
 * - `fail`: claims, then its Work step fails (DeviceUnreachable): FAILED and redrivable;
 * - `issue-and-wait`: claims, issues a real certificate (attached to the thing and the device
 *   policy, recorded as newCertificateId), then waits for a task token nobody sends.
 */
export type Behaviour = 'succeed' | 'fail' | 'issue-and-wait';

export class DeviceUnreachable extends Error {
  override readonly name = 'DeviceUnreachable';
}

interface StepEvent {
  readonly input: { thingName: string; oldCertificateId: string; campaign?: string };
  readonly executionArn: string;
}

const isStepEvent = (event: unknown): event is StepEvent =>
  typeof event === 'object' &&
  event !== null &&
  'executionArn' in event &&
  typeof event.executionArn === 'string' &&
  'input' in event &&
  typeof event.input === 'object' &&
  event.input !== null &&
  'thingName' in event.input &&
  typeof event.input.thingName === 'string';

/**
 * A stand-in for the rotate-device workflow, small enough to steer from a test: it writes the
 * rotation record as the real one does (claim, phase, new certificate, outcome) so the CLI reads,
 * redrives and abandons real executions on the local Step Functions engine. The real workflow is
 * covered by its own tests.
 */
export function registerStandIn(p: {
  functions: FunctionRegistry;
  engine: StepFunctionsEngine;
  db: DynamoDBDocumentClient;
  iot: IoTClient;
  sfn: SFNClient;
  tableName: string;
  plan: Map<string, Behaviour>;
}): object {
  const now = (): string => new Date().toISOString();
  const claim = p.functions.register('cli-test-claim', async (event) => {
    if (!isStepEvent(event)) throw new TypeError('claim: unexpected event');
    const { input, executionArn } = event;
    await p.db.send(
      new PutCommand({
        TableName: p.tableName,
        Item: {
          thingName: input.thingName,
          status: 'IN_PROGRESS',
          phase: 'CLAIMED',
          executionArn,
          oldCertificateId: input.oldCertificateId,
          campaign: input.campaign ?? 'manual',
          attempt: 1,
          startedAt: now(),
          statusSince: now(),
          updatedAt: now(),
        },
        ConditionExpression:
          'attribute_not_exists(thingName) OR #status <> :inProgress OR executionArn = :exec',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':exec': executionArn },
      }),
    );
    return {};
  });
  const work = p.functions.register('cli-test-work', async (event) => {
    if (!isStepEvent(event)) throw new TypeError('work: unexpected event');
    const { input, executionArn } = event;
    const behaviour = p.plan.get(input.thingName) ?? 'succeed';
    if (behaviour === 'fail') throw new DeviceUnreachable(`${input.thingName} did not answer csr_req`);
    const set: Record<string, string> = { phase: 'AWAITING_ACK', updatedAt: now() };
    {
      const issued = await p.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
      const arn = issued.certificateArn ?? '';
      await p.iot.send(new AttachPolicyCommand({ policyName: DEVICE_POLICY_NAME, target: arn }));
      await p.iot.send(new AttachThingPrincipalCommand({ thingName: input.thingName, principal: arn }));
      set.newCertificateId = issued.certificateId ?? '';
      set.newCertificateArn = arn;
    }
    const names = Object.fromEntries(Object.keys(set).map((key, i) => [`#k${i}`, key]));
    const values = Object.fromEntries(Object.values(set).map((value, i) => [`:v${i}`, value]));
    await p.db.send(
      new UpdateCommand({
        TableName: p.tableName,
        Key: { thingName: input.thingName },
        UpdateExpression: `SET ${Object.keys(set)
          .map((_, i) => `#k${i} = :v${i}`)
          .join(', ')}, #status = :inProgress, statusSince = :since`,
        ConditionExpression: 'executionArn = :exec',
        ExpressionAttributeNames: { ...names, '#status': 'status' },
        ExpressionAttributeValues: {
          ...values,
          ':exec': executionArn,
          ':inProgress': 'IN_PROGRESS',
          ':since': now(),
        },
      }),
    );
    return {};
  });
  const awaitAck = p.functions.register('cli-test-await-ack', async (event) => {
    const token = typeof event === 'object' && event !== null && 'token' in event ? event.token : undefined;
    const thing =
      typeof event === 'object' && event !== null && 'thingName' in event ? event.thingName : undefined;
    if (typeof token === 'string' && typeof thing === 'string' && p.plan.get(thing) !== 'issue-and-wait') {
      setTimeout(() => {
        void p.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })).catch(() => {});
      }, 0);
    }
    return {};
  });
  const finish = p.functions.register('cli-test-finish', async (event) => {
    if (!isStepEvent(event)) throw new TypeError('finish: unexpected event');
    await removeCertificate(p.iot, {
      certificateId: event.input.oldCertificateId,
      thingName: event.input.thingName,
      keep: false,
    });
    await p.db.send(
      new UpdateCommand({
        TableName: p.tableName,
        Key: { thingName: event.input.thingName },
        UpdateExpression:
          'SET #status = :ok, statusSince = :now, phase = :done, completedAt = :now, updatedAt = :now',
        ConditionExpression: 'executionArn = :exec',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':ok': 'SUCCEEDED',
          ':done': 'DONE',
          ':now': now(),
          ':exec': event.executionArn,
        },
      }),
    );
    return {};
  });
  // The outcome recorder's part: a failed, timed-out or aborted execution is recorded.
  p.engine.onStatusChange((event) => {
    const { status, executionArn, error, cause, input } = event.detail;
    if (status !== 'FAILED' && status !== 'TIMED_OUT' && status !== 'ABORTED') return;
    const parsed: unknown = JSON.parse(input);
    const thingName =
      typeof parsed === 'object' && parsed !== null && 'thingName' in parsed ? parsed.thingName : undefined;
    if (typeof thingName !== 'string') return;
    void p.db
      .send(
        new UpdateCommand({
          TableName: p.tableName,
          Key: { thingName },
          UpdateExpression:
            'SET #status = :status, statusSince = :now, lastError = :error, completedAt = :now, updatedAt = :now',
          ConditionExpression: 'executionArn = :exec AND #status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': status,
            ':error': `${error ?? status}: ${cause ?? ''}`,
            ':now': now(),
            ':exec': executionArn,
            ':inProgress': 'IN_PROGRESS',
          },
        }),
      )
      .catch(() => {});
  });
  const step = (resource: string) => ({
    Type: 'Task',
    Resource: resource,
    Parameters: { 'input.$': '$', 'executionArn.$': '$$.Execution.Id' },
    ResultPath: null,
  });
  return {
    Comment: 'Stand-in for rotate-device in CLI tests',
    StartAt: 'ClaimThing',
    States: {
      ClaimThing: { ...step(claim.arn), Next: 'RequestCsr' },
      RequestCsr: { ...step(work.arn), Next: 'DeliverCertificate' },
      DeliverCertificate: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: awaitAck.arn,
          Payload: { 'thingName.$': '$.thingName', 'token.$': '$$.Task.Token' },
        },
        ResultPath: null,
        Next: 'RetireOldCertificate',
      },
      RetireOldCertificate: { ...step(finish.arn), End: true },
    },
  };
}
