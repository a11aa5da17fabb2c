import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYED_FUNCTION_IDS } from '../../../infra/constructs/workflow-functions.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../../local/config.ts';
import type { LocalFunctionArns } from '../../../local/stack/function-wiring.ts';
import { invokePermissions, LOCAL_RESOURCE_NAMES } from '../../../local/stack/resources.ts';
import { logicalId, type Synthesised, synthesise } from '../../infra/helpers/synth.ts';

/** One permission, named by what it links: the function, the service, the source, and whether the account is pinned. */
interface Link {
  readonly fn: string;
  readonly principal: string;
  readonly source: string;
  readonly sourceAccount: boolean;
}

const byText = (a: Link, b: Link) => JSON.stringify(a).localeCompare(JSON.stringify(b));

let s: Synthesised;

beforeAll(() => {
  s = synthesise({}, { validate: false });
});

afterAll(() => s?.cleanup());

describe('the Lambda permissions the local stack adds', () => {
  it('are those the CDK stack deploys: same functions, principals, sources and account conditions', () => {
    // Prepare: the CDK template's AWS::Lambda::Permission resources, named by their links.
    const functionOf = new Map(
      DEPLOYED_FUNCTION_IDS.map((id) => [logicalId(s.stack.workflowFunctions.functions[id]), id as string]),
    );
    const sourceOf = new Map<string, string>([
      ...s.stack.topicRules.rules.map((rule): [string, string] => [logicalId(rule), `rule:${rule.ruleName}`]),
      [logicalId(s.stack.audit.configuration), 'audit-topic'],
      [logicalId(s.stack.outcomeEvents.rule), 'status-change-rule'],
    ]);
    const scheduleRules = new Set(Object.values(s.stack.schedules.rules).map((rule) => logicalId(rule)));
    const deployed: Link[] = [];
    for (const resource of Object.values(s.template.findResources('AWS::Lambda::Permission'))) {
      const props = resource.Properties;
      const source = props.SourceArn?.['Fn::GetAtt']?.[0] as string;
      // Scheduled functions run on the local clock (local/stack/schedules.ts), not through EventBridge.
      if (scheduleRules.has(source)) continue;
      deployed.push({
        fn: String(functionOf.get(props.FunctionName?.['Fn::GetAtt']?.[0])),
        principal: props.Principal,
        source: String(sourceOf.get(source)),
        sourceAccount: props.SourceAccount !== undefined,
      });
    }
    const arns = Object.fromEntries(
      DEPLOYED_FUNCTION_IDS.map((id) => [
        id,
        `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${id}`,
      ]),
    ) as unknown as LocalFunctionArns;
    const localSource = (arn: string): string => {
      if (arn.endsWith(`:${LOCAL_RESOURCE_NAMES.auditTopic}`)) return 'audit-topic';
      if (arn.endsWith(`:rule/${LOCAL_RESOURCE_NAMES.statusChangeRule}`)) return 'status-change-rule';
      return `rule:${arn.slice(arn.lastIndexOf('/') + 1)}`;
    };
    // Act
    const local: Link[] = invokePermissions(LOCAL_REGION, LOCAL_ACCOUNT_ID, arns).map(
      ({ functionArn, permission }) => ({
        fn: functionArn.slice(functionArn.lastIndexOf(':') + 1),
        principal: permission.principal,
        source: localSource(String(permission.sourceArn)),
        sourceAccount: permission.sourceAccount !== undefined,
      }),
    );
    // Assess
    expect(deployed.length).toBeGreaterThan(0);
    expect(local.sort(byText)).toEqual(deployed.sort(byText));
  });
});
