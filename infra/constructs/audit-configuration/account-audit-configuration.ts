import { Aws, CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { AuditConfigurationProperties } from '../../../workflows/device-defender/account-audit.ts';
import { nodeFunctionBase } from '../node-function.ts';

export interface AccountAuditConfigurationProps {
  /** Check name -> configuration (thresholds), as UpdateAccountAuditConfiguration takes them. */
  readonly checks: AuditConfigurationProperties['Checks'];
  readonly auditRole: iam.IRole;
  /** recert's own audit topic, the SNS target when the account has none. */
  readonly topic: sns.ITopic;
  readonly notificationRole: iam.IRole;
  readonly logRetentionDays: number;
}

/** The custom resource's attributes. */
export const AUDIT_CONFIGURATION_ATTRIBUTES = {
  topicArn: 'TopicArn',
  targetSetByRecert: 'TargetSetByRecert',
} as const;

const HANDLER_ENTRY = 'infra/constructs/audit-configuration/handler.ts';

/**
 * recert's share of the account's Device Defender audit configuration: a custom resource whose handler
 * changes only what recert needs (`workflows/device-defender/account-audit.ts`).
 */
export class AccountAuditConfiguration extends Construct {
  readonly resource: CustomResource;
  readonly handler: NodejsFunction;
  readonly handlerRole: iam.Role;
  readonly provider: cr.Provider;
  /** The topic audit notifications go to: recert's topic, or the account's existing target. */
  readonly topicArnInUse: string;

  constructor(scope: Construct, id: string, props: AccountAuditConfigurationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'HandlerLogs', { retention: props.logRetentionDays });
    this.handlerRole = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: "recert: sets recert's checks in the account's Device Defender audit configuration",
    });
    const grant = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      this.handlerRole.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) }),
      );
    grant(['logs:CreateLogStream', 'logs:PutLogEvents'], [logGroup.logGroupArn]);
    // These four authorise on no resource type (Service Authorization Reference).
    grant(
      [
        'iot:DescribeAccountAuditConfiguration',
        'iot:UpdateAccountAuditConfiguration',
        'iot:DeleteAccountAuditConfiguration',
        'iot:ListScheduledAudits',
      ],
      ['*'],
    );
    grant(
      ['iot:DescribeScheduledAudit'],
      [stack.formatArn({ service: 'iot', resource: 'scheduledaudit', resourceName: '*' })],
    );
    // UpdateAccountAuditConfiguration passes the audit and notification roles to IoT.
    grant(['iam:PassRole'], [props.auditRole.roleArn, props.notificationRole.roleArn], {
      StringEquals: { 'iam:PassedToService': 'iot.amazonaws.com' },
    });
    // A Delete asks whether the stack is being deleted or cleaning up after an update.
    grant(['cloudformation:DescribeStacks'], [Aws.STACK_ID]);

    this.handler = new NodejsFunction(this, 'Handler', {
      ...nodeFunctionBase(HANDLER_ENTRY),
      handler: 'handler',
      timeout: Duration.minutes(2),
      description: "recert: recert's share of the Device Defender audit configuration (deploy time only)",
      role: this.handlerRole,
      logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps' },
    });

    // The framework function gets its own role and log group instead of the basic execution policy.
    const frameworkLogs = new logs.LogGroup(this, 'ProviderLogs', { retention: props.logRetentionDays });
    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'recert: CDK provider framework of the audit configuration custom resource',
    });
    frameworkRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [frameworkLogs.logGroupArn],
      }),
    );
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler,
      logGroup: frameworkLogs,
      frameworkOnEventRole: frameworkRole,
    });

    const properties: AuditConfigurationProperties = {
      Checks: props.checks,
      AuditRoleArn: props.auditRole.roleArn,
      TopicArn: props.topic.topicArn,
      NotificationRoleArn: props.notificationRole.roleArn,
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::RecertAuditConfiguration',
      properties,
    });
    this.topicArnInUse = this.resource.getAttString(AUDIT_CONFIGURATION_ATTRIBUTES.topicArn);
    this.acknowledgeFindings(frameworkRole);
  }

  /** cdk-nag findings of this construct, each with its reason. */
  private acknowledgeFindings(frameworkRole: iam.Role): void {
    const handlerArn = Stack.of(this).resolve(this.handler.functionArn) as { 'Fn::GetAtt': [string, string] };
    Validations.of(this.handlerRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Describe/Update/DeleteAccountAuditConfiguration and ListScheduledAudits authorise on no resource: ' +
        'the audit configuration is one per account.',
    });
    Validations.of(this.handlerRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:scheduledaudit/*]',
      reason:
        "Removal reads every scheduled audit's checks, so that it never turns off a check another team's audit uses.",
    });
    Validations.of(frameworkRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${handlerArn['Fn::GetAtt'][0]}.Arn>:*]`,
      reason:
        "CDK's Provider framework may invoke versions of the handler it fronts (lambda:InvokeFunction only).",
    });
    Validations.of(this.handler).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'The handler runs on nodejs22.x, as the workflow functions it is built and tested with.',
    });
  }
}
