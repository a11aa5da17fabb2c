import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type FunctionId, TOPIC_RULES } from '../../workflows/rotate-device/contract.ts';

export interface DeviceTopicRulesProps {
  readonly functions: Readonly<Record<FunctionId, lambda.IFunction>>;
  readonly logRetentionDays: number;
}

/**
 * The contract's IoT topic rules (device replies, `connected` events); a failed action is logged to a log
 * group so a lost reply is visible rather than silent.
 */
export class DeviceTopicRules extends Construct {
  readonly rules: readonly iot.CfnTopicRule[];
  readonly errorLogGroup: logs.LogGroup;
  readonly errorRole: iam.Role;

  constructor(scope: Construct, id: string, props: DeviceTopicRulesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.errorLogGroup = new logs.LogGroup(this, 'Errors', { retention: props.logRetentionDays });
    this.errorRole = new iam.Role(this, 'ErrorActionRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Lets recert topic rules log their failed actions',
    });
    // Its statements (write to the error log group) come from workflows/access/, given by the stack.
    this.rules = TOPIC_RULES.map((spec) => {
      const target = props.functions[spec.targetFunctionId];
      const rule = new iot.CfnTopicRule(this, spec.name, {
        ruleName: spec.name,
        topicRulePayload: {
          description: spec.description,
          sql: spec.sql,
          awsIotSqlVersion: spec.awsIotSqlVersion,
          ruleDisabled: false,
          actions: [{ lambda: { functionArn: target.functionArn } }],
          errorAction: {
            cloudwatchLogs: {
              logGroupName: this.errorLogGroup.logGroupName,
              roleArn: this.errorRole.roleArn,
            },
          },
        },
      });
      target.addPermission(`invoked-by-${spec.name}`, {
        principal: new iam.ServicePrincipal('iot.amazonaws.com'),
        action: 'lambda:InvokeFunction',
        sourceArn: rule.attrArn,
        sourceAccount: stack.account,
      });
      return rule;
    });
  }
}
