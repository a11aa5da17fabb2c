import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { CAMPAIGN_FUNCTION_IDS } from '../workflows/campaign/contract.ts';
import { TASK_FUNCTION_IDS } from '../workflows/rotate-device/contract.ts';
import {
  DEPLOYED_FUNCTION_IDS,
  type DeployedFunctionId,
  functionSpec,
} from './constructs/workflow-functions.ts';
import type { RecertStack } from './stack.ts';

/** The id CDK gives the singleton function behind AwsCustomResource. */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

const IAM5 = 'AwsSolutions-IAM5';
const iot = (resource: string) => `arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:${resource}`;

function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The actions of a function's contract grants on `*`, for the reason of its acknowledgement. */
function unscopedActions(id: DeployedFunctionId): string[] {
  return functionSpec(id)
    .permissions.filter((g) => g.resource === 'any')
    .flatMap((g) => g.actions);
}

/**
 * The cdk-nag AwsSolutions findings recert accepts, each acknowledged on the one construct it
 * concerns and, for wildcard findings, for the one resource or action named, with the reason.
 */
export function suppressFindings(stack: RecertStack): void {
  const functions = stack.workflowFunctions;
  for (const fid of DEPLOYED_FUNCTION_IDS) {
    const role = functions.roles[fid];
    const unscoped = unscopedActions(fid);
    if (fid === 'issue-certificate') unscoped.push('iot:RegisterCertificateWithoutCA (private CA only)');
    acknowledge(
      role,
      `${IAM5}[Resource::*]`,
      `X-Ray's PutTraceSegments and PutTelemetryRecords authorise on no resource${
        unscoped.length > 0 ? `; so do ${unscoped.join(', ')}` : ''
      }.`,
    );
    acknowledge(
      functions.functions[fid],
      'AwsSolutions-L1',
      'recert runs on nodejs22.x, the runtime its handlers are built and tested for (esbuild target node22).',
    );
    const grants = functionSpec(fid).permissions;
    const has = (role: string) => grants.some((g) => g.resource === role);
    if (has('managementTopics')) {
      acknowledge(
        role,
        `${IAM5}[Resource::${iot('topic/management/topic/*')}]`,
        'The function publishes to the management topics of whichever thing is being rotated; things are ' +
          'not known at deploy time. Scoped to the recert topic prefix.',
      );
    }
    for (const [contractRole, resource, what] of [
      ['iotCertificates', 'cert/*', 'certificates'],
      ['iotThings', 'thing/*', 'things'],
    ] as const) {
      if (has(contractRole)) {
        acknowledge(
          role,
          `${IAM5}[Resource::${iot(resource)}]`,
          `Rotations act on the ${what} of any device in the fleet, which are not known at deploy time.`,
        );
      }
    }
  }

  const smRole = stack.rotation.role;
  acknowledge(
    smRole,
    `${IAM5}[Resource::*]`,
    'CloudWatch Logs log delivery and X-Ray tracing, which the state machine needs for logging and ' +
      'tracing, authorise on no resource.',
  );
  for (const fid of TASK_FUNCTION_IDS) {
    acknowledge(
      smRole,
      `${IAM5}[Resource::<${logicalIdOf(functions.functions[fid])}.Arn>:*]`,
      `Versions and aliases of the ${fid} function the definition invokes (lambda:InvokeFunction only).`,
    );
  }

  acknowledge(
    stack.audit.auditRole,
    `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSIoTDeviceDefenderAudit]`,
    'The audit role needs read access to everything Device Defender audits; AWS maintains that list in ' +
      'this managed policy as it adds checks.',
  );

  const campaignRole = stack.campaign.role;
  acknowledge(
    campaignRole,
    `${IAM5}[Resource::*]`,
    'CloudWatch Logs log delivery and X-Ray tracing, which the state machine needs for logging and ' +
      'tracing, authorise on no resource.',
  );
  for (const fid of CAMPAIGN_FUNCTION_IDS) {
    acknowledge(
      campaignRole,
      `${IAM5}[Resource::<${logicalIdOf(functions.functions[fid])}.Arn>:*]`,
      `Versions and aliases of the ${fid} function the campaign definition invokes (lambda:InvokeFunction only).`,
    );
  }

  const lookup = stack.iotDataEndpoint.lookup;
  if (lookup) {
    acknowledge(lookup, `${IAM5}[Resource::*]`, 'iot:DescribeEndpoint authorises on no resource.');
    const provider = Stack.of(stack).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    if (provider) {
      acknowledge(
        provider,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "CDK's AwsCustomResource provider (the IoT endpoint lookup at deploy time) logs with the basic " +
          'execution role; it runs only during deployment.',
      );
    }
  }
}

function logicalIdOf(construct: IConstruct): string {
  const child = construct.node.defaultChild;
  if (!CfnElement.isCfnElement(child))
    throw new TypeError(`${construct.node.path} has no CloudFormation resource`);
  return String(Stack.of(construct).resolve(Stack.of(construct).getLogicalId(child)));
}
