import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * The audit-notification and escalation topics, HTTPS only, under one customer managed key: CloudWatch
 * alarms can only publish to a topic whose key lets the CloudWatch service use it.
 */
export class NotificationTopics extends Construct {
  readonly key: kms.Key;
  readonly auditTopic: sns.Topic;
  readonly escalationTopic: sns.Topic;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'recert: encrypts the audit and escalation topics',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToEscalations',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    this.auditTopic = new sns.Topic(this, 'AuditTopic', {
      displayName: 'recert Device Defender audit notifications',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.escalationTopic = new sns.Topic(this, 'EscalationTopic', {
      displayName: 'recert rotations that did not succeed',
      masterKey: this.key,
      enforceSSL: true,
    });
  }
}
