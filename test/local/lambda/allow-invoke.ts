import { type FunctionRegistry, INVOKE_ACTION } from '../../../local/lambda/registry.ts';

let statements = 0;

/** Test setup: lets an AWS service invoke a function from one source ARN, as AddPermission does. */
export function allowInvoke(
  functions: FunctionRegistry,
  functionArn: string,
  service: string,
  sourceArn: string,
): void {
  statements++;
  functions.addPermission(functionArn, {
    statementId: `test-${statements}`,
    action: INVOKE_ACTION,
    principal: service,
    sourceArn,
  });
}

/** Lets the IoT topic rule `ruleName` invoke the function (with the account, as the CDK stack adds it). */
export function allowTopicRule(functions: FunctionRegistry, functionArn: string, ruleName: string): void {
  statements++;
  functions.addPermission(functionArn, {
    statementId: `test-${statements}`,
    action: INVOKE_ACTION,
    principal: 'iot.amazonaws.com',
    sourceArn: `arn:aws:iot:${functions.region}:${functions.accountId}:rule/${ruleName}`,
    sourceAccount: functions.accountId,
  });
}

/** Lets the SNS topic invoke the function (a Lambda subscription's permission). */
export function allowTopic(functions: FunctionRegistry, functionArn: string, topicArn: string): void {
  allowInvoke(functions, functionArn, 'sns.amazonaws.com', topicArn);
}

/** Lets the EventBridge rule (on the default bus) invoke the function (a Lambda target's permission). */
export function allowEventRule(functions: FunctionRegistry, functionArn: string, ruleName: string): void {
  const ruleArn = `arn:aws:events:${functions.region}:${functions.accountId}:rule/${ruleName}`;
  allowInvoke(functions, functionArn, 'events.amazonaws.com', ruleArn);
}
