import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreatePolicyCommand,
  CreateTopicRuleCommand,
  ReplaceTopicRuleCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-iot';
import {
  CreateStateMachineCommand,
  StateMachineAlreadyExists,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CAMPAIGN_STATE_MACHINE,
  CAMPAIGN_TABLE,
  type CampaignSettings,
  renderCampaignDefinition,
} from '../../workflows/campaign/contract.ts';
import { applyConfiguration } from '../../workflows/device-defender/account-audit.ts';
import {
  ROTATION_TABLE,
  renderDefinition,
  type Settings,
  STATE_MACHINE,
  TOPIC_RULES,
} from '../../workflows/rotate-device/contract.ts';
import { DEVICE_POLICY_NAME, devicePolicyDocument } from '../../workflows/rotate-device/device-policy.ts';
import type { DynamoItem, LocalDynamoDb } from '../dynamodb/local-dynamodb.ts';
import type { TableDefinition } from '../dynamodb/table-definition.ts';
import type { AddPermissionInput } from '../lambda/permissions.ts';
import { permissionStatement } from '../lambda/permissions.ts';
import { type FunctionRegistry, INVOKE_ACTION } from '../lambda/registry.ts';
import type { LocalClients } from './clients.ts';
import type { LocalFunctionArns } from './function-wiring.ts';

/** Names of what `recert local up` creates, as the CDK stack names them on AWS. */
export const LOCAL_RESOURCE_NAMES = {
  table: 'recert-rotations',
  stateMachine: STATE_MACHINE.name,
  campaignTable: 'recert-campaigns',
  campaignStateMachine: CAMPAIGN_STATE_MACHINE.name,
  auditTopic: 'recert-audit-notifications',
  escalationTopic: 'recert-escalations',
  statusChangeRule: 'recert-rotation-status-change',
  devicePolicy: DEVICE_POLICY_NAME,
} as const;

/** The local roles' names; the identities (identities.ts) give each its session and statements. */
export const LOCAL_ROLE_NAMES = {
  rotationStateMachine: 'recert-state-machine',
  campaignStateMachine: 'recert-campaign-state-machine',
  ruleErrors: 'recert-rules',
  audit: 'recert-audit',
  auditNotifications: 'recert-audit-notify',
  operator: 'recert-operator',
} as const;

export interface AuditSettings {
  /** DEVICE_CERTIFICATE_EXPIRING_CHECK's threshold in days. */
  readonly expiringThresholdDays: number;
  /** DEVICE_CERTIFICATE_AGE_CHECK's threshold in days; the check is off when undefined. */
  readonly ageThresholdDays?: number;
}

export interface ProvisionInput {
  readonly region: string;
  readonly accountId: string;
  readonly clients: LocalClients;
  readonly dynamodb: LocalDynamoDb;
  /** The local Lambda service, for the functions' resource-based policies (AddPermission). */
  readonly functions: FunctionRegistry;
  readonly functionArns: Readonly<LocalFunctionArns>;
  readonly settings: Partial<Settings>;
  readonly campaignSettings?: Partial<CampaignSettings>;
  readonly audit: AuditSettings;
}

export interface ProvisionedResources {
  readonly stateMachineArn: string;
  readonly campaignStateMachineArn: string;
  readonly auditTopicArn: string;
  readonly escalationTopicArn: string;
}

export function stateMachineArnOf(
  region: string,
  accountId: string,
  name: string = LOCAL_RESOURCE_NAMES.stateMachine,
): string {
  return `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
}

/** The rotation table as the workflow contract declares it (the CDK stack reads the same). */
export function rotationTableDefinition(tableName: string): TableDefinition {
  const index = ROTATION_TABLE.statusIndex;
  return {
    tableName,
    partitionKey: { ...ROTATION_TABLE.partitionKey },
    globalSecondaryIndexes: [
      {
        indexName: index.name,
        partitionKey: { ...index.partitionKey },
        sortKey: { ...index.sortKey },
        projection: [...index.projection.nonKeyAttributes],
      },
    ],
    timeToLiveAttribute: ROTATION_TABLE.ttlAttribute,
  };
}

/**
 * Gives a record from before the byStatus index sorted by `statusSince` the time it most likely entered its
 * status (its end, claim or last write), so the index does not leave it out.
 */
export function withStatusSince(item: DynamoItem): DynamoItem {
  const sortKey = ROTATION_TABLE.statusIndex.sortKey.name;
  if (item[sortKey] !== undefined || item.status?.S === undefined) return item;
  const since =
    (item.status.S === 'IN_PROGRESS' ? undefined : item.completedAt?.S) ??
    item.startedAt?.S ??
    item.updatedAt?.S;
  return since === undefined ? item : { ...item, [sortKey]: { S: since } };
}

// The roles of local/stack/identities.ts, by ARN.
const roleArn = (accountId: string, name: string): string => `arn:aws:iam::${accountId}:role/${name}`;

/** One AddPermission of the CDK stack: which function, and the statement it adds. */
export interface InvokePermission {
  readonly functionArn: string;
  readonly permission: AddPermissionInput;
}

/**
 * The Lambda permissions the CDK stack gives the services that invoke recert's functions (topic rules, the
 * audit topic, the status-change rule), same principals and source ARNs, which may name sources not yet made.
 */
export function invokePermissions(
  region: string,
  accountId: string,
  functionArns: Readonly<LocalFunctionArns>,
): InvokePermission[] {
  const topicRules = TOPIC_RULES.map((rule) => ({
    functionArn: functionArns[rule.targetFunctionId],
    permission: {
      statementId: `invoked-by-${rule.name}`,
      action: INVOKE_ACTION,
      principal: 'iot.amazonaws.com',
      sourceArn: `arn:aws:iot:${region}:${accountId}:rule/${rule.name}`,
      sourceAccount: accountId,
    },
  }));
  return [
    ...topicRules,
    {
      functionArn: functionArns['audit-fanout'],
      permission: {
        statementId: `invoked-by-${LOCAL_RESOURCE_NAMES.auditTopic}`,
        action: INVOKE_ACTION,
        principal: 'sns.amazonaws.com',
        sourceArn: `arn:aws:sns:${region}:${accountId}:${LOCAL_RESOURCE_NAMES.auditTopic}`,
      },
    },
    {
      functionArn: functionArns['outcome-recorder'],
      permission: {
        statementId: `invoked-by-${LOCAL_RESOURCE_NAMES.statusChangeRule}`,
        action: INVOKE_ACTION,
        principal: 'events.amazonaws.com',
        sourceArn: `arn:aws:events:${region}:${accountId}:rule/${LOCAL_RESOURCE_NAMES.statusChangeRule}`,
      },
    },
  ];
}

/**
 * Adds `invokePermissions` to the functions' resource policies idempotently (a differing statement is
 * replaced, as a CloudFormation update does), at every start: the local Lambda keeps policies in memory.
 */
export function addInvokePermissions(
  functions: FunctionRegistry,
  input: { region: string; accountId: string; functionArns: Readonly<LocalFunctionArns> },
): void {
  for (const { functionArn, permission } of invokePermissions(
    input.region,
    input.accountId,
    input.functionArns,
  )) {
    addPermissionOnce(functions, functionArn, permission);
  }
}

/** One AddPermission, idempotent: kept when already there as wanted, replaced when it differs. */
function addPermissionOnce(
  functions: FunctionRegistry,
  functionArn: string,
  permission: AddPermissionInput,
): void {
  const wanted = JSON.stringify(permissionStatement(functionArn, permission));
  const current = functions.policyOf(functionArn)?.Statement.find((s) => s.Sid === permission.statementId);
  if (current && JSON.stringify(current) === wanted) return;
  if (current) functions.removePermission(functionArn, permission.statementId);
  functions.addPermission(functionArn, permission);
}

/**
 * Creates, through the services' own APIs and idempotently (a restart finds them and updates them),
 * what the CDK stack deploys on AWS, read from the same workflow contract.
 */
export async function provisionResources(input: ProvisionInput): Promise<ProvisionedResources> {
  const { clients, accountId } = input;

  // First, so that the subscription, targets and rules below can invoke their functions at once.
  addInvokePermissions(input.functions, input);

  await input.dynamodb.ensureTable(rotationTableDefinition(LOCAL_RESOURCE_NAMES.table), {
    migrateItem: withStatusSince,
  });

  const definition = renderDefinition(
    { functionArns: input.functionArns, tableName: LOCAL_RESOURCE_NAMES.table },
    input.settings,
  );
  const stateMachineArn = stateMachineArnOf(input.region, accountId);
  await putStateMachine(clients, {
    name: LOCAL_RESOURCE_NAMES.stateMachine,
    arn: stateMachineArn,
    definition,
    role: roleArn(accountId, LOCAL_ROLE_NAMES.rotationStateMachine),
  });

  // The campaign table: META items and start queues (sort key), as the CDK stack creates it.
  await input.dynamodb.ensureTable({
    tableName: LOCAL_RESOURCE_NAMES.campaignTable,
    partitionKey: { ...CAMPAIGN_TABLE.partitionKey },
    sortKey: { ...CAMPAIGN_TABLE.sortKey },
    timeToLiveAttribute: CAMPAIGN_TABLE.ttlAttribute,
  });
  const campaignStateMachineArn = stateMachineArnOf(
    input.region,
    accountId,
    LOCAL_RESOURCE_NAMES.campaignStateMachine,
  );
  await putStateMachine(clients, {
    name: LOCAL_RESOURCE_NAMES.campaignStateMachine,
    arn: campaignStateMachineArn,
    definition: renderCampaignDefinition(input.functionArns, {
      rotation: input.settings,
      campaign: input.campaignSettings ?? {},
    }),
    role: roleArn(accountId, LOCAL_ROLE_NAMES.campaignStateMachine),
  });

  const auditTopicArn = (
    await clients.sns.send(new CreateTopicCommand({ Name: LOCAL_RESOURCE_NAMES.auditTopic }))
  ).TopicArn;
  const escalationTopicArn = (
    await clients.sns.send(new CreateTopicCommand({ Name: LOCAL_RESOURCE_NAMES.escalationTopic }))
  ).TopicArn;
  if (!auditTopicArn || !escalationTopicArn) throw new Error('local SNS returned no topic ARN');

  await clients.eventBridge.send(
    new PutRuleCommand({
      Name: LOCAL_RESOURCE_NAMES.statusChangeRule,
      EventPattern: JSON.stringify({
        ...STATE_MACHINE.statusChangeEventPattern,
        detail: { ...STATE_MACHINE.statusChangeEventPattern.detail, stateMachineArn: [stateMachineArn] },
      }),
    }),
  );
  await clients.eventBridge.send(
    new PutTargetsCommand({
      Rule: LOCAL_RESOURCE_NAMES.statusChangeRule,
      Targets: [{ Id: 'outcome-recorder', Arn: input.functionArns['outcome-recorder'] }],
    }),
  );

  for (const rule of TOPIC_RULES) {
    const topicRulePayload = {
      sql: rule.sql,
      awsIotSqlVersion: rule.awsIotSqlVersion,
      description: rule.description,
      ruleDisabled: false,
      actions: [{ lambda: { functionArn: input.functionArns[rule.targetFunctionId] } }],
      errorAction: {
        republish: {
          topic: `$aws/rules/${rule.name}/errors`,
          roleArn: roleArn(accountId, LOCAL_ROLE_NAMES.ruleErrors),
        },
      },
    };
    try {
      await clients.iot.send(new CreateTopicRuleCommand({ ruleName: rule.name, topicRulePayload }));
    } catch (error) {
      if (!(error instanceof ResourceAlreadyExistsException)) throw error;
      await clients.iot.send(new ReplaceTopicRuleCommand({ ruleName: rule.name, topicRulePayload }));
    }
  }

  // The account's audit configuration is changed as the deployment's custom resource changes it:
  // recert's checks turned on, its role and SNS target set only where the account has none.
  const audit = await applyConfiguration(clients.iot, {
    Checks: {
      DEVICE_CERTIFICATE_EXPIRING_CHECK: {
        CERT_EXPIRATION_THRESHOLD_IN_DAYS: String(input.audit.expiringThresholdDays),
      },
      ...(input.audit.ageThresholdDays === undefined
        ? {}
        : {
            DEVICE_CERTIFICATE_AGE_CHECK: {
              CERT_AGE_THRESHOLD_IN_DAYS: String(input.audit.ageThresholdDays),
            },
          }),
    },
    AuditRoleArn: roleArn(accountId, LOCAL_ROLE_NAMES.audit),
    TopicArn: auditTopicArn,
    NotificationRoleArn: roleArn(accountId, LOCAL_ROLE_NAMES.auditNotifications),
  });
  // The fan-out hears the topic in use: recert's, or the one the account already notified.
  if (audit.topicArn !== auditTopicArn) {
    addPermissionOnce(input.functions, input.functionArns['audit-fanout'], {
      statementId: 'invoked-by-existing-audit-target',
      action: INVOKE_ACTION,
      principal: 'sns.amazonaws.com',
      sourceArn: audit.topicArn,
    });
  }
  await subscribeOnce(clients, audit.topicArn, input.functionArns['audit-fanout']);

  try {
    await clients.iot.send(
      new CreatePolicyCommand({
        policyName: LOCAL_RESOURCE_NAMES.devicePolicy,
        policyDocument: JSON.stringify(devicePolicyDocument('aws', input.region, accountId)),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  }

  return { stateMachineArn, campaignStateMachineArn, auditTopicArn: audit.topicArn, escalationTopicArn };
}

async function putStateMachine(
  clients: LocalClients,
  machine: { name: string; arn: string; definition: string; role: string },
): Promise<void> {
  const { name, arn, definition, role } = machine;
  try {
    await clients.sfn.send(
      new CreateStateMachineCommand({ name, type: STATE_MACHINE.type, definition, roleArn: role }),
    );
  } catch (error) {
    if (!(error instanceof StateMachineAlreadyExists)) throw error;
    // The definition changed since the last run (a new version of recert, other settings): update it.
    await clients.sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn: arn, definition, roleArn: role }),
    );
  }
}

async function subscribeOnce(clients: LocalClients, topicArn: string, functionArn: string): Promise<void> {
  // SNS's Subscribe is idempotent for the same endpoint and protocol.
  await clients.sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'lambda', Endpoint: functionArn }),
  );
}
