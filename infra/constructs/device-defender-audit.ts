import { type CustomResource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { AUDIT_MANAGED_POLICY, identityManagedPolicies } from '../../workflows/access/identity-policies.ts';
import type { AuditCheckName, DeploymentSettings } from '../settings.ts';
import { AccountAuditConfiguration } from './audit-configuration/account-audit-configuration.ts';

export interface DeviceDefenderAuditProps {
  readonly settings: DeploymentSettings['audit'];
  readonly topic: sns.ITopic;
  readonly topicKey: kms.IKey;
  readonly logRetentionDays: number;
}

/** The managed policy AWS provides for the role Device Defender audits with. */
export { AUDIT_MANAGED_POLICY };

/**
 * recert's part of Device Defender: its checks enabled in the account's audit configuration (nothing else
 * changed) and a daily audit of them; role and SNS target are recert's only where the account has none.
 */
export class DeviceDefenderAudit extends Construct {
  readonly auditRole: iam.Role;
  readonly notificationRole: iam.Role;
  readonly accountConfiguration: AccountAuditConfiguration;
  /** The custom resource holding recert's share of the account's audit configuration. */
  readonly configuration: CustomResource;
  /** The topic audit notifications go to: recert's own, or the account's existing SNS target. */
  readonly notificationTopic: sns.ITopic;
  readonly scheduledAudit: iot.CfnScheduledAudit;

  constructor(scope: Construct, id: string, props: DeviceDefenderAuditProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const iotPrincipal = () =>
      new iam.ServicePrincipal('iot.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      });
    this.auditRole = new iam.Role(this, 'AuditRole', {
      assumedBy: iotPrincipal(),
      description: 'Lets Device Defender read the IoT configuration it audits',
      managedPolicies: identityManagedPolicies('device-defender:audit').map((name) =>
        iam.ManagedPolicy.fromAwsManagedPolicyName(name),
      ),
    });
    this.notificationRole = new iam.Role(this, 'NotificationRole', {
      assumedBy: iotPrincipal(),
      description: 'Lets Device Defender publish audit notifications to the recert audit topic',
    });
    // The notification role's statements (publish to recert's audit topic, with its key) are the
    // contract's (workflows/access/), given by the stack.

    // recert's checks and their thresholds; the rest of the account's configuration is left alone.
    const checks = new Set(props.settings.checks);
    const configurations: Record<AuditCheckName, Record<string, string>> = {
      DEVICE_CERTIFICATE_EXPIRING_CHECK: {
        CERT_EXPIRATION_THRESHOLD_IN_DAYS: String(props.settings.expiringThresholdDays),
      },
      DEVICE_CERTIFICATE_AGE_CHECK: { CERT_AGE_THRESHOLD_IN_DAYS: String(props.settings.ageThresholdDays) },
    };
    this.accountConfiguration = new AccountAuditConfiguration(this, 'Configuration', {
      checks: Object.fromEntries([...checks].map((name) => [name, configurations[name]])),
      auditRole: this.auditRole,
      topic: props.topic,
      notificationRole: this.notificationRole,
      logRetentionDays: props.logRetentionDays,
    });
    this.configuration = this.accountConfiguration.resource;
    // The roles' policies must exist before IoT checks them.
    this.configuration.node.addDependency(this.auditRole, this.notificationRole);
    this.notificationTopic = sns.Topic.fromTopicArn(
      this,
      'TopicInUse',
      this.accountConfiguration.topicArnInUse,
    );

    this.scheduledAudit = new iot.CfnScheduledAudit(this, 'Daily', {
      scheduledAuditName: props.settings.scheduledAuditName,
      frequency: 'DAILY',
      targetCheckNames: [...checks],
    });
    this.scheduledAudit.node.addDependency(this.configuration);
  }

  /** Subscribes a function to the topic audit notifications go to (`notificationTopic`). */
  subscribe(fn: lambda.Function): void {
    const topicArn = this.notificationTopic.topicArn;
    this.notificationTopic.addSubscription(new subscriptions.LambdaSubscription(fn));
    const permission = fn.node.children.find(
      (child) => child instanceof lambda.CfnPermission && child.sourceArn === topicArn,
    );
    if (permission === undefined) throw new Error(`${fn.node.path}: no SNS permission for the audit topic`);
    // The source is a topic ARN, read from the custom resource, which the linter cannot tell.
    Validations.of(permission).acknowledge({
      id: 'CloudFormation-Validate::W3664',
      reason: "SourceArn is the SNS topic ARN the audit configuration's custom resource reports in use.",
    });
  }
}
