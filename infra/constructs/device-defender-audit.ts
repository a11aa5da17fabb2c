import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { DeploymentSettings } from '../settings.ts';

export interface DeviceDefenderAuditProps {
  readonly settings: DeploymentSettings['audit'];
  readonly topic: sns.ITopic;
  readonly topicKey: kms.IKey;
}

/** The managed policy AWS provides for the role Device Defender audits with. */
export const AUDIT_MANAGED_POLICY = 'service-role/AWSIoTDeviceDefenderAudit';

/**
 * Device Defender's account audit configuration (the checks that find certificates to rotate, the
 * role the audits run with, the SNS notification target) and a daily scheduled audit of those
 * checks. An account has one audit configuration: this stack owns it.
 */
export class DeviceDefenderAudit extends Construct {
  readonly auditRole: iam.Role;
  readonly notificationRole: iam.Role;
  readonly configuration: iot.CfnAccountAuditConfiguration;
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
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(AUDIT_MANAGED_POLICY)],
    });
    this.notificationRole = new iam.Role(this, 'NotificationRole', {
      assumedBy: iotPrincipal(),
      description: 'Lets Device Defender publish audit notifications to the recert audit topic',
    });
    this.notificationRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.topic.topicArn] }),
    );
    this.notificationRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.topicKey.keyArn],
      }),
    );

    const checks = new Set(props.settings.checks);
    this.configuration = new iot.CfnAccountAuditConfiguration(this, 'Configuration', {
      accountId: stack.account,
      roleArn: this.auditRole.roleArn,
      auditCheckConfigurations: {
        deviceCertificateExpiringCheck: { enabled: checks.has('DEVICE_CERTIFICATE_EXPIRING_CHECK') },
        deviceCertificateAgeCheck: {
          enabled: checks.has('DEVICE_CERTIFICATE_AGE_CHECK'),
          configuration: { certAgeThresholdInDays: String(props.settings.ageThresholdDays) },
        },
      },
      auditNotificationTargetConfigurations: {
        sns: { enabled: true, roleArn: this.notificationRole.roleArn, targetArn: props.topic.topicArn },
      },
    });
    // CloudFormation has the expiring check's threshold, the generated L1 types do not yet.
    this.configuration.addPropertyOverride(
      'AuditCheckConfigurations.DeviceCertificateExpiringCheck.Configuration.CertExpirationThresholdInDays',
      String(props.settings.expiringThresholdDays),
    );
    // The roles' policies must exist before IoT checks them.
    this.configuration.node.addDependency(this.auditRole, this.notificationRole);

    this.scheduledAudit = new iot.CfnScheduledAudit(this, 'Daily', {
      scheduledAuditName: props.settings.scheduledAuditName,
      frequency: 'DAILY',
      targetCheckNames: [...checks],
    });
    this.scheduledAudit.addResourceDependency(this.configuration);
  }
}
