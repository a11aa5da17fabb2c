import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll } from 'vitest';
import { z } from 'zod';
import type { DeployedFunctionId } from '../../../infra/constructs/workflow-functions.ts';
import { settingsFromContext } from '../../../infra/settings.ts';
import { RecertStack } from '../../../infra/stack.ts';

const ValidationReport = z.object({ pluginReports: z.array(z.unknown()) });
const PolicyDocument = z.object({ Statement: z.array(z.unknown()) });
const PolicyProps = z.object({ Roles: z.array(z.unknown()), PolicyDocument });
const RoleProps = z.object({ Policies: z.array(z.object({ PolicyDocument })).optional() });

export interface Synthesised {
  readonly app: App;
  readonly stack: RecertStack;
  readonly template: Template;
  readonly outdir: string;
  /** What CDK's CloudFormation schema validation reported (empty when it passed or was skipped). */
  readonly validationReports: readonly unknown[];
  /** Unacknowledged AwsSolutions findings (errors and warnings). */
  readonly findings: readonly { ruleName: string; severity: string; paths: string[] }[];
  readonly cleanup: () => void;
}

/**
 * The stack synthesised once for the test file: filled in before its first test (a later beforeAll may
 * read it), its output removed after its last.
 */
export function useSynthesis(
  context: Record<string, unknown> = {},
  options: { bundle?: boolean; validate?: boolean } = {},
): Synthesised {
  const synthesis = {} as Synthesised;
  beforeAll(() => {
    Object.assign(synthesis, synthesise(context, options));
  }, 180_000);
  afterAll(() => synthesis.cleanup());
  return synthesis;
}

/**
 * Synthesises the recert stack once, as `infra/app.ts` does, with the given `recert:` context.
 * Bundling is skipped unless asked for: esbuild over nine functions is the slow part of synthesis.
 */
export function synthesise(
  context: Record<string, unknown> = {},
  options: { bundle?: boolean; validate?: boolean } = {},
): Synthesised {
  const outdir = mkdtempSync(join(tmpdir(), 'recert-cdk-'));
  const app = new App({
    outdir,
    // CDK's own CloudFormation schema validation (a WebAssembly engine) is most of the synthesis
    // time; one test file runs it, the others skip it.
    builtinCloudFormationValidation: options.validate ?? true,
    context: { ...context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  const settings = settingsFromContext((key) => app.node.tryGetContext(key));
  const stack = new RecertStack(app, 'Recert', { settings });
  const report = new AwsSolutionsChecks(app).validateScope(app);
  const findings = report.violations.map((v) => ({
    ruleName: v.ruleName,
    severity: v.severity ?? 'error',
    paths: v.violatingResources.map((r) => r.constructPath ?? ''),
  }));
  const template = Template.fromStack(stack);
  const reportPath = join(outdir, 'validation-report.json');
  const validationReports = existsSync(reportPath)
    ? ValidationReport.parse(readJson(reportPath)).pluginReports
    : [];
  return {
    app,
    stack,
    template,
    outdir,
    findings,
    validationReports,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const child = CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild;
  if (child === undefined || !CfnElement.isCfnElement(child))
    throw new TypeError(`${construct.node.path} has no CloudFormation resource`);
  const stack = Stack.of(construct);
  return String(stack.resolve(stack.getLogicalId(child)));
}

/** The logical ids of each given function's Lambda function, role and log group, by function id. */
export function functionLogicalIds<F extends DeployedFunctionId>(
  s: Synthesised,
  fids: readonly F[],
): { functions: Record<F, string>; roles: Record<F, string>; logGroups: Record<F, string> } {
  const f = s.stack.workflowFunctions;
  const byFunction = (pick: (fid: F) => IConstruct) =>
    Object.fromEntries(fids.map((fid) => [fid, logicalId(pick(fid))])) as Record<F, string>;
  return {
    functions: byFunction((fid) => f.functions[fid]),
    roles: byFunction((fid) => f.roles[fid]),
    logGroups: byFunction((fid) => f.logGroups[fid]),
  };
}

/** Every statement of every IAM policy attached to the role with this logical id, in order. */
export function statementsOfRole(template: Template, roleLogicalId: string): unknown[] {
  const statements: unknown[] = [];
  for (const resource of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const props = PolicyProps.parse(resource.Properties);
    if (props.Roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId }))) {
      statements.push(...props.PolicyDocument.Statement);
    }
  }
  const role = RoleProps.parse(template.findResources('AWS::IAM::Role')[roleLogicalId]?.Properties);
  for (const policy of role.Policies ?? []) statements.push(...policy.PolicyDocument.Statement);
  return statements;
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** CloudFormation's `arn:${Partition}:<service>:${Region}:${AccountId}:<rest>`. */
export const cfnArn = (service: string, rest: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:${service}:`,
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${rest}`,
    ],
  ],
});
export const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
export const ref = (id: string) => ({ Ref: id });

/** What CDK grants an actively traced function on its own, as synthesized: X-Ray. */
export const CDK_XRAY_STATEMENT = {
  Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  Effect: 'Allow',
  Resource: '*',
};

/** Every statement of a deployed function's role, in order. */
export const functionStatements = (s: Synthesised, fid: DeployedFunctionId): unknown[] =>
  statementsOfRole(s.template, logicalId(s.stack.workflowFunctions.roles[fid]));

/** What every function's role starts with: X-Ray, then writing to its own log group. */
export const functionBaseStatements = (s: Synthesised, fid: DeployedFunctionId): unknown[] => [
  CDK_XRAY_STATEMENT,
  {
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Effect: 'Allow',
    Resource: getAtt(logicalId(s.stack.workflowFunctions.logGroups[fid])),
  },
];

/** What CDK grants a state machine with logging and tracing on, as synthesized: log delivery and X-Ray. */
export const CDK_STATE_MACHINE_STATEMENTS = [
  {
    Action: [
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ],
    Effect: 'Allow',
    Resource: '*',
  },
  {
    Action: [
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
    ],
    Effect: 'Allow',
    Resource: '*',
  },
];

/** The grants retire-certificate holds to remove an old certificate, as synthesized. */
export const REMOVE_CERTIFICATE_STATEMENTS = [
  {
    Action: [
      'iot:DescribeCertificate',
      'iot:DetachThingPrincipal',
      'iot:DetachPolicy',
      'iot:UpdateCertificate',
      'iot:DeleteCertificate',
    ],
    Effect: 'Allow',
    Resource: cfnArn('iot', 'cert/*'),
  },
  { Action: 'iot:ListAttachedPolicies', Effect: 'Allow', Resource: '*' },
];
