import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateScheduledAuditCommand,
  DeleteScheduledAuditCommand,
  DescribeAccountAuditConfigurationCommand,
  DescribeAuditTaskCommand,
  type IoTClient,
  ListAuditFindingsCommand,
  ListAuditTasksCommand,
  ListScheduledAuditsCommand,
  StartOnDemandAuditTaskCommand,
  UpdateAccountAuditConfigurationCommand,
} from '@aws-sdk/client-iot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../../../local/config.ts';
import { LocalSns } from '../../../../local/events/sns.ts';
import { auditRoutes } from '../../../../local/iot/audit/audit-routes.ts';
import { DeviceDefenderAudit } from '../../../../local/iot/audit/device-defender.ts';
import type { CertificateView } from '../../../../local/iot/interfaces.ts';
import { FunctionRegistry } from '../../../../local/lambda/registry.ts';
import { allowTopic } from '../../lambda/allow-invoke.ts';
import { RestHarness } from '../rules/helpers/rest-harness.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 1, 12);
const ROLE = 'arn:aws:iam::000000000000:role/audit';

function cert(
  id: string,
  expiresInDays: number,
  status: CertificateView['status'] = 'ACTIVE',
): CertificateView {
  return {
    certificateId: id,
    certificateArn: `arn:aws:iot:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:cert/${id}`,
    status,
    creationDate: NOW - 100 * DAY,
    notBefore: NOW - 100 * DAY,
    notAfter: NOW + expiresInDays * DAY,
  };
}

const certificates: CertificateView[] = [
  cert('a'.repeat(64), 5),
  cert('b'.repeat(64), 29),
  cert('c'.repeat(64), 31),
  cert('d'.repeat(64), 2, 'INACTIVE'),
  cert('e'.repeat(64), -1),
];

let stateDir: string;
let clock: ManualClock;
let functions: FunctionRegistry;
let sns: LocalSns;
let topicArn: string;
let audit: DeviceDefenderAudit;
let harness: RestHarness;
let iot: IoTClient;
let notifications: unknown[];

async function start(): Promise<void> {
  audit = new DeviceDefenderAudit({
    certificates: { listCertificates: () => certificates },
    clock,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    stateDir,
    notify: (arn, message) => {
      sns.publish({ topicArn: arn, message });
    },
  });
  await audit.start();
  harness = new RestHarness(auditRoutes(audit));
  iot = await harness.client();
}

async function stop(): Promise<void> {
  iot.destroy();
  await harness.close();
  await audit.close();
}

async function configure(): Promise<void> {
  await iot.send(
    new UpdateAccountAuditConfigurationCommand({
      roleArn: ROLE,
      auditNotificationTargetConfigurations: { SNS: { targetArn: topicArn, roleArn: ROLE, enabled: true } },
      auditCheckConfigurations: {
        DEVICE_CERTIFICATE_EXPIRING_CHECK: {
          enabled: true,
          configuration: { CERT_EXPIRATION_THRESHOLD_IN_DAYS: '30' },
        },
      },
    }),
  );
}

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'recert-audit-'));
  clock = new ManualClock(NOW);
  functions = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
  sns = new LocalSns({ functions, clock, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID });
  topicArn = await sns.createTopic('audit-notifications');
  notifications = [];
  const fanOut = functions.register('fan-out', async (event) => {
    notifications.push(event);
  });
  await sns.subscribe(topicArn, 'lambda', fanOut.arn);
  allowTopic(functions, fanOut.arn, topicArn);
  await start();
});

afterEach(async () => {
  await stop();
  await sns.close();
  await rm(stateDir, { recursive: true, force: true });
});

function snsMessages(): unknown[] {
  return notifications.flatMap((event) => {
    if (typeof event !== 'object' || event === null || !('Records' in event) || !Array.isArray(event.Records))
      return [];
    return event.Records.map((record: { Sns: { Message: string } }) => JSON.parse(record.Sns.Message));
  });
}

describe('Device Defender audit through @aws-sdk/client-iot', () => {
  it('finds exactly the certificates inside the threshold and notifies the SNS subscriber', async () => {
    // Prepare
    await configure();
    // Act
    const { taskId } = await iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] }),
    );
    await audit.idle();
    await sns.idle();
    const task = await iot.send(new DescribeAuditTaskCommand({ taskId }));
    const page1 = await iot.send(new ListAuditFindingsCommand({ taskId, maxResults: 2 }));
    const page2 = await iot.send(
      new ListAuditFindingsCommand({ taskId, maxResults: 2, nextToken: page1.nextToken }),
    );
    // Assess
    expect(task).toMatchObject({
      taskStatus: 'COMPLETED',
      taskType: 'ON_DEMAND_AUDIT_TASK',
      taskStartTime: new Date(NOW),
      taskStatistics: { totalChecks: 1, nonCompliantChecks: 1, compliantChecks: 0, failedChecks: 0 },
      auditDetails: {
        DEVICE_CERTIFICATE_EXPIRING_CHECK: {
          checkRunStatus: 'COMPLETED_NON_COMPLIANT',
          checkCompliant: false,
          totalResourcesCount: 4,
          nonCompliantResourcesCount: 3,
        },
      },
    });
    const findings = [...(page1.findings ?? []), ...(page2.findings ?? [])];
    expect(page1.findings).toHaveLength(2);
    expect(page2.nextToken).toBeUndefined();
    expect(
      findings.map((f) => [
        f.nonCompliantResource?.resourceIdentifier?.deviceCertificateId,
        f.reasonForNonComplianceCode,
      ]),
    ).toEqual([
      ['a'.repeat(64), 'CERTIFICATE_EXPIRING'],
      ['b'.repeat(64), 'CERTIFICATE_EXPIRING'],
      ['e'.repeat(64), 'CERTIFICATE_EXPIRED'],
    ]);
    expect(findings[0]).toMatchObject({
      taskId,
      checkName: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
      severity: 'MEDIUM',
      isSuppressed: false,
      nonCompliantResource: { resourceType: 'DEVICE_CERTIFICATE' },
    });
    expect(snsMessages()).toEqual([
      {
        accountId: LOCAL_ACCOUNT_ID,
        auditEventType: 'AUDIT_TASK',
        taskId,
        taskStatus: 'COMPLETED',
        taskType: 'ON_DEMAND_AUDIT_TASK',
        failedChecksCount: 0,
        canceledChecksCount: 0,
        nonCompliantChecksCount: 1,
        compliantChecksCount: 0,
        totalChecksCount: 1,
        taskStartTime: NOW,
        auditDetails: [
          {
            checkName: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
            checkRunStatus: 'COMPLETED_NON_COMPLIANT',
            nonCompliantResourcesCount: 3,
            totalResourcesCount: 4,
            suppressedNonCompliantResourcesCount: 0,
          },
        ],
      },
    ]);
  });

  it('refuses a check that is not enabled, an unsupported check and a threshold out of range', async () => {
    await configure();
    const notEnabled = await iot
      .send(new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_AGE_CHECK'] }))
      .catch((e: unknown) => e);
    const unsupported = await iot
      .send(
        new UpdateAccountAuditConfigurationCommand({
          auditCheckConfigurations: { LOGGING_DISABLED_CHECK: { enabled: true } },
        }),
      )
      .catch((e: unknown) => e);
    const badThreshold = await iot
      .send(
        new UpdateAccountAuditConfigurationCommand({
          auditCheckConfigurations: {
            DEVICE_CERTIFICATE_AGE_CHECK: {
              enabled: true,
              configuration: { CERT_AGE_THRESHOLD_IN_DAYS: '7' },
            },
          },
        }),
      )
      .catch((e: unknown) => e);
    const missingTask = await iot
      .send(new DescribeAuditTaskCommand({ taskId: 'nope' }))
      .catch((e: unknown) => e);
    expect(notEnabled).toMatchObject({ name: 'InvalidRequestException' });
    expect(unsupported).toMatchObject({ name: 'InvalidRequestException' });
    expect(badThreshold).toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringContaining('from 30 to 3652'),
    });
    expect(missingTask).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('runs a DAILY scheduled audit on the clock and keeps configuration, tasks and findings across a restart', async () => {
    // Prepare
    await configure();
    await iot.send(
      new CreateScheduledAuditCommand({
        scheduledAuditName: 'nightly',
        frequency: 'DAILY',
        targetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'],
      }),
    );
    // Act: the first run is at the next 00:00 UTC.
    await clock.advance(12 * 3_600_000);
    await audit.idle();
    await stop();
    await start();
    await clock.advance(DAY);
    await audit.idle();
    await sns.idle();
    const tasks = await iot.send(
      new ListAuditTasksCommand({
        startTime: new Date(NOW),
        endTime: new Date(NOW + 3 * DAY),
        taskType: 'SCHEDULED_AUDIT_TASK',
      }),
    );
    const config = await iot.send(new DescribeAccountAuditConfigurationCommand({}));
    const scheduled = await iot.send(new ListScheduledAuditsCommand({}));
    const oldest = tasks.tasks?.at(-1)?.taskId;
    const oldFindings = await iot.send(new ListAuditFindingsCommand({ taskId: oldest }));
    await iot.send(new DeleteScheduledAuditCommand({ scheduledAuditName: 'nightly' }));
    await clock.advance(DAY);
    await audit.idle();
    const after = await iot.send(
      new ListAuditTasksCommand({ startTime: new Date(NOW), endTime: new Date(NOW + 5 * DAY) }),
    );
    // Assess
    expect(tasks.tasks?.map((t) => [t.taskType, t.taskStatus])).toEqual([
      ['SCHEDULED_AUDIT_TASK', 'COMPLETED'],
      ['SCHEDULED_AUDIT_TASK', 'COMPLETED'],
    ]);
    expect(config.roleArn).toBe(ROLE);
    expect(config.auditNotificationTargetConfigurations?.SNS).toEqual({
      targetArn: topicArn,
      roleArn: ROLE,
      enabled: true,
    });
    expect(config.auditCheckConfigurations?.DEVICE_CERTIFICATE_EXPIRING_CHECK?.enabled).toBe(true);
    expect(scheduled.scheduledAudits?.map((a) => [a.scheduledAuditName, a.frequency])).toEqual([
      ['nightly', 'DAILY'],
    ]);
    expect(oldFindings.findings).toHaveLength(3);
    expect(snsMessages()).toHaveLength(2);
    expect(snsMessages()[0]).toMatchObject({
      taskType: 'SCHEDULED_AUDIT_TASK',
      scheduledAuditName: 'nightly',
    });
    expect(after.tasks).toHaveLength(2);
  });
});
