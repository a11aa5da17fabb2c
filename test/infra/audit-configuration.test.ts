import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  type AuditCheckConfiguration,
  type AuditNotificationTarget,
  DeleteAccountAuditConfigurationCommand,
  DescribeAccountAuditConfigurationCommand,
  DescribeScheduledAuditCommand,
  IoTClient,
  ListScheduledAuditsCommand,
  UpdateAccountAuditConfigurationCommand,
} from '@aws-sdk/client-iot';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { onEvent, removalModeOf } from '../../infra/constructs/audit-configuration/handler.ts';
import {
  type AuditConfigurationProperties,
  ownershipId,
  ownershipOf,
  type RemovalMode,
} from '../../workflows/device-defender/account-audit.ts';

const EXPIRING = 'DEVICE_CERTIFICATE_EXPIRING_CHECK';
const AGE = 'DEVICE_CERTIFICATE_AGE_CHECK';
const ACCOUNT = '123456789012';
const arn = (service: string, resource: string) => `arn:aws:${service}:eu-west-1:${ACCOUNT}:${resource}`;
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

const RECERT: AuditConfigurationProperties = {
  Checks: {
    [EXPIRING]: { CERT_EXPIRATION_THRESHOLD_IN_DAYS: '30' },
    [AGE]: { CERT_AGE_THRESHOLD_IN_DAYS: '365' },
  },
  AuditRoleArn: role('Recert-AuditRole'),
  TopicArn: arn('sns', 'Recert-AuditTopic'),
  NotificationRoleArn: role('Recert-NotificationRole'),
};
const THEIR_ROLE = role('fleet-security-audit');
const THEIR_TOPIC = arn('sns', 'fleet-security-findings');
const THEIR_NOTIFY_ROLE = role('fleet-security-notify');

/** recert's target, and its checks as the fresh account's update turns them on. */
const RECERT_TARGET = { targetArn: RECERT.TopicArn, roleArn: RECERT.NotificationRoleArn, enabled: true };
const EXPIRING_ON = { enabled: true, configuration: { CERT_EXPIRATION_THRESHOLD_IN_DAYS: '30' } };
const AGE_ON = { enabled: true, configuration: { CERT_AGE_THRESHOLD_IN_DAYS: '365' } };

const iot = mockClient(IoTClient);
let mode: RemovalMode = 'teardown';
const deps = () => ({
  iot: new IoTClient({ region: 'eu-west-1' }),
  removalMode: async () => mode,
  log: () => undefined,
});

interface Account {
  roleArn?: string;
  checks?: Record<string, AuditCheckConfiguration>;
  sns?: AuditNotificationTarget;
  /** Scheduled audit name -> its checks. */
  scheduled?: Record<string, string[]>;
}

/** The account as DescribeAccountAuditConfiguration answers: every check listed, off unless set. */
function account(state: Account): void {
  const all = [EXPIRING, AGE, 'LOGGING_DISABLED_CHECK', 'IOT_POLICY_OVERLY_PERMISSIVE_CHECK'];
  iot.on(DescribeAccountAuditConfigurationCommand).resolves({
    ...(state.roleArn ? { roleArn: state.roleArn } : {}),
    auditCheckConfigurations: Object.fromEntries(
      all.map((name) => [name, state.checks?.[name] ?? { enabled: false, configuration: {} }]),
    ),
    auditNotificationTargetConfigurations: state.sns ? { SNS: state.sns } : {},
  });
  const scheduled = state.scheduled ?? {};
  iot.on(ListScheduledAuditsCommand).resolves({
    scheduledAudits: Object.keys(scheduled).map((scheduledAuditName) => ({ scheduledAuditName })),
  });
  for (const [scheduledAuditName, targetCheckNames] of Object.entries(scheduled)) {
    iot
      .on(DescribeScheduledAuditCommand, { scheduledAuditName })
      .resolves({ scheduledAuditName, targetCheckNames });
  }
  iot.on(UpdateAccountAuditConfigurationCommand).resolves({});
  iot.on(DeleteAccountAuditConfigurationCommand).resolves({});
}

const base = {
  ServiceToken: arn('lambda', 'function:provider'),
  ResponseURL: 'https://example.invalid/response',
  StackId: arn('cloudformation', 'stack/Recert/00000000-0000-0000-0000-000000000000'),
  RequestId: 'request-1',
  LogicalResourceId: 'AuditConfiguration',
  ResourceType: 'Custom::RecertAuditConfiguration',
};
const props = (p: AuditConfigurationProperties) => ({ ServiceToken: base.ServiceToken, ...p });
const create = (p = RECERT) =>
  ({ ...base, RequestType: 'Create', ResourceProperties: props(p) }) as CloudFormationCustomResourceEvent;
const update = (id: string, p: AuditConfigurationProperties) =>
  ({
    ...base,
    RequestType: 'Update',
    PhysicalResourceId: id,
    ResourceProperties: props(p),
    OldResourceProperties: props(RECERT),
  }) as CloudFormationCustomResourceEvent;
const remove = (id: string) =>
  ({
    ...base,
    RequestType: 'Delete',
    PhysicalResourceId: id,
    ResourceProperties: props(RECERT),
  }) as CloudFormationCustomResourceEvent;

const updates = () => iot.commandCalls(UpdateAccountAuditConfigurationCommand).map((c) => c.args[0].input);
const deletes = () => iot.commandCalls(DeleteAccountAuditConfigurationCommand).map((c) => c.args[0].input);

beforeEach(() => {
  iot.reset();
  mode = 'teardown';
});

describe('a fresh account (no audit configuration)', () => {
  it("enables recert's checks with their thresholds and sets the audit role and recert's target", async () => {
    // Prepare
    account({});

    // Act
    const response = await onEvent(create(), deps());

    // Assess
    expect(updates()).toEqual([
      {
        auditCheckConfigurations: { [EXPIRING]: EXPIRING_ON, [AGE]: AGE_ON },
        roleArn: RECERT.AuditRoleArn,
        auditNotificationTargetConfigurations: { SNS: RECERT_TARGET },
      },
    ]);
    expect(ownershipOf(response.PhysicalResourceId)).toEqual({
      enabled: [AGE, EXPIRING],
      target: true,
      role: true,
    });
    expect(response.Data).toMatchObject({ TopicArn: RECERT.TopicArn, TargetSetByRecert: 'true' });
  });

  it('deleting the stack deletes the configuration recert created, the only way to remove a target', async () => {
    // Prepare: the account as recert left it.
    account({
      roleArn: RECERT.AuditRoleArn,
      checks: { [EXPIRING]: { enabled: true }, [AGE]: { enabled: true } },
      sns: RECERT_TARGET,
    });
    const id = ownershipId({ enabled: [EXPIRING, AGE], target: true, role: true });

    // Act
    await onEvent(remove(id), deps());

    // Assess
    expect(deletes()).toEqual([{ deleteScheduledAudits: false }]);
    expect(updates()).toEqual([]);
  });

  it('applying again changes nothing when the account is already as recert set it', async () => {
    // Prepare
    account({
      roleArn: RECERT.AuditRoleArn,
      checks: { [EXPIRING]: EXPIRING_ON, [AGE]: AGE_ON },
      sns: RECERT_TARGET,
    });
    const id = ownershipId({ enabled: [EXPIRING, AGE], target: true, role: true });

    // Act
    const response = await onEvent(update(id, RECERT), deps());

    // Assess
    expect(updates()).toEqual([]);
    expect(response.PhysicalResourceId).toBe(id);
  });
});

describe('an account that already uses Device Defender', () => {
  const theirs: Account = {
    roleArn: THEIR_ROLE,
    checks: {
      LOGGING_DISABLED_CHECK: { enabled: true },
      IOT_POLICY_OVERLY_PERMISSIVE_CHECK: { enabled: true },
    },
    sns: { targetArn: THEIR_TOPIC, roleArn: THEIR_NOTIFY_ROLE, enabled: true },
    scheduled: { 'fleet-weekly': ['LOGGING_DISABLED_CHECK', 'IOT_POLICY_OVERLY_PERMISSIVE_CHECK'] },
  };

  it("sends only recert's checks, keeps their role and target, and reports their topic as the one in use", async () => {
    // Prepare
    account(theirs);

    // Act
    const response = await onEvent(create(), deps());

    // Assess: no other check, no role, no target in the call (the API is a PATCH).
    expect(updates()).toEqual([{ auditCheckConfigurations: { [EXPIRING]: EXPIRING_ON, [AGE]: AGE_ON } }]);
    expect(response.Data).toMatchObject({ TopicArn: THEIR_TOPIC, TargetSetByRecert: 'false' });
    expect(ownershipOf(response.PhysicalResourceId)).toEqual({
      enabled: [AGE, EXPIRING],
      target: false,
      role: false,
    });
  });

  it("deleting the stack turns off recert's checks only, and neither their target nor the configuration", async () => {
    // Prepare
    account({
      ...theirs,
      checks: { ...theirs.checks, [EXPIRING]: { enabled: true }, [AGE]: { enabled: true } },
    });
    const id = ownershipId({ enabled: [EXPIRING, AGE], target: false, role: false });

    // Act
    await onEvent(remove(id), deps());

    // Assess
    expect(updates()).toEqual([
      { auditCheckConfigurations: { [AGE]: { enabled: false }, [EXPIRING]: { enabled: false } } },
    ]);
    expect(deletes()).toEqual([]);
  });

  it('a target that is disabled counts as none: recert sets its own', async () => {
    // Prepare
    account({ ...theirs, sns: { ...theirs.sns, enabled: false } });

    // Act
    const response = await onEvent(create(), deps());

    // Assess
    expect(updates()[0]?.auditNotificationTargetConfigurations).toEqual({ SNS: RECERT_TARGET });
    expect(updates()[0]?.roleArn).toBeUndefined();
    expect(response.Data?.TopicArn).toBe(RECERT.TopicArn);
  });
});

describe('a check that was enabled before recert', () => {
  const before: Account = {
    roleArn: THEIR_ROLE,
    checks: { [EXPIRING]: { enabled: true, configuration: { CERT_EXPIRATION_THRESHOLD_IN_DAYS: '60' } } },
    sns: { targetArn: THEIR_TOPIC, roleArn: THEIR_NOTIFY_ROLE, enabled: true },
  };

  it('is left as it is, threshold included, and reported as already enabled', async () => {
    // Prepare
    account(before);

    // Act
    const response = await onEvent(create(), deps());

    // Assess
    expect(updates()).toEqual([{ auditCheckConfigurations: { [AGE]: AGE_ON } }]);
    expect(ownershipOf(response.PhysicalResourceId)?.enabled).toEqual([AGE]);
    expect(response.Data?.ChecksAlreadyEnabled).toBe(EXPIRING);
  });

  it('stays enabled when the stack is deleted', async () => {
    // Prepare: recert recorded that it turned on the age check only.
    account({ ...before, checks: { ...before.checks, [AGE]: { enabled: true } } });
    const id = ownershipId({ enabled: [AGE], target: false, role: false });

    // Act
    await onEvent(remove(id), deps());

    // Assess
    expect(updates()).toEqual([{ auditCheckConfigurations: { [AGE]: { enabled: false } } }]);
  });
});

describe('deleting after recert set the target of an existing configuration', () => {
  it('disables the target it set (the API can only disable a target) and turns off only its checks', async () => {
    // Prepare: their role and check; recert's checks and target.
    account({
      roleArn: THEIR_ROLE,
      checks: {
        LOGGING_DISABLED_CHECK: { enabled: true },
        [EXPIRING]: { enabled: true },
        [AGE]: { enabled: true },
      },
      sns: RECERT_TARGET,
    });
    const id = ownershipId({ enabled: [EXPIRING, AGE], target: true, role: false });

    // Act
    await onEvent(remove(id), deps());

    // Assess
    expect(updates()).toEqual([
      {
        auditCheckConfigurations: { [EXPIRING]: { enabled: false }, [AGE]: { enabled: false } },
        auditNotificationTargetConfigurations: {
          SNS: { targetArn: RECERT.TopicArn, roleArn: RECERT.NotificationRoleArn, enabled: false },
        },
      },
    ]);
    expect(deletes()).toEqual([]);
  });

  it('leaves a target someone pointed elsewhere since, and a check their scheduled audit now uses', async () => {
    // Prepare
    account({
      roleArn: THEIR_ROLE,
      checks: { [EXPIRING]: { enabled: true }, [AGE]: { enabled: true } },
      sns: { targetArn: THEIR_TOPIC, roleArn: THEIR_NOTIFY_ROLE, enabled: true },
      scheduled: { 'fleet-daily': [AGE] },
    });
    const id = ownershipId({ enabled: [EXPIRING, AGE], target: true, role: false });

    // Act
    await onEvent(remove(id), deps());

    // Assess
    expect(updates()).toEqual([{ auditCheckConfigurations: { [EXPIRING]: { enabled: false } } }]);
  });
});

describe('updates', () => {
  it("a check dropped from recert's settings is left on for now and drops out of the recorded id", async () => {
    // Prepare: recert's scheduled audit still names the age check while CloudFormation updates it.
    account({
      roleArn: RECERT.AuditRoleArn,
      checks: {
        [EXPIRING]: EXPIRING_ON,
        [AGE]: { enabled: true },
      },
      sns: RECERT_TARGET,
      scheduled: { 'recert-daily-certificate-audit': [EXPIRING, AGE] },
    });
    const id = ownershipId({ enabled: [EXPIRING, AGE], target: true, role: true });
    const expiringOnly = { ...RECERT, Checks: { [EXPIRING]: { CERT_EXPIRATION_THRESHOLD_IN_DAYS: '45' } } };

    // Act
    const response = await onEvent(update(id, expiringOnly), deps());

    // Assess: the new threshold of recert's own check; a new id, so CloudFormation deletes the old one.
    expect(updates()).toEqual([
      {
        auditCheckConfigurations: {
          [EXPIRING]: { enabled: true, configuration: { CERT_EXPIRATION_THRESHOLD_IN_DAYS: '45' } },
        },
      },
    ]);
    expect(ownershipOf(response.PhysicalResourceId)).toEqual({
      enabled: [EXPIRING],
      target: true,
      role: true,
    });
  });

  it('the cleanup Delete of the replaced id turns off the dropped check, never the target or the configuration', async () => {
    // Prepare: the scheduled audit has been updated to the expiring check only.
    mode = 'cleanup';
    account({
      roleArn: RECERT.AuditRoleArn,
      checks: { [EXPIRING]: { enabled: true }, [AGE]: { enabled: true } },
      sns: RECERT_TARGET,
      scheduled: { 'recert-daily-certificate-audit': [EXPIRING] },
    });
    const oldId = ownershipId({ enabled: [EXPIRING, AGE], target: true, role: true });

    // Act
    await onEvent(remove(oldId), deps());

    // Assess
    expect(updates()).toEqual([{ auditCheckConfigurations: { [AGE]: { enabled: false } } }]);
    expect(deletes()).toEqual([]);
  });
});

describe('ids', () => {
  it('a Delete of an id the handler did not write (a failed creation) calls nothing', async () => {
    // Prepare
    account({});

    // Act
    const response = await onEvent(remove('AWSCDK::CustomResourceProviderFramework::CREATE_FAILED'), deps());

    // Assess
    expect(iot.calls()).toHaveLength(0);
    expect(response.PhysicalResourceId).toBe('AWSCDK::CustomResourceProviderFramework::CREATE_FAILED');
  });

  it('round-trips what recert changed, under the 1 KB a physical id may take', () => {
    for (const ownership of [
      { enabled: [AGE, EXPIRING], target: false, role: true },
      { enabled: [], target: true, role: false },
    ]) {
      expect(ownershipOf(ownershipId(ownership))).toEqual(ownership);
      expect(ownershipId(ownership).length).toBeLessThan(1024);
    }
  });
});

describe('removal mode', () => {
  const cfn = mockClient(CloudFormationClient);

  it.each([
    ['DELETE_IN_PROGRESS', 'teardown'],
    ['ROLLBACK_IN_PROGRESS', 'teardown'],
    ['UPDATE_ROLLBACK_IN_PROGRESS', 'teardown'],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'cleanup'],
    ['UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'cleanup'],
  ] as const)('%s -> %s', async (status, expected) => {
    // Prepare
    cfn.reset();
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'Recert', StackStatus: status, CreationTime: new Date(0) }],
    });

    // Act
    const result = await removalModeOf(new CloudFormationClient({ region: 'eu-west-1' }), base.StackId);

    // Assess
    expect(result).toBe(expected);
  });
});
