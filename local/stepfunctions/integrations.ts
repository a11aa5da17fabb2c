import { randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import type { InvokeCaller } from '../iam/types.ts';
import {
  type FunctionRegistry,
  LambdaAccessDeniedError,
  LambdaInvocationError,
  LambdaServiceError,
} from '../lambda/registry.ts';
import { StatesError } from './errors.ts';
import { isObject, type Json, type JsonObject, toJson } from './json.ts';

/**
 * The Task resources the engine can call: Lambda (optimised `lambda:invoke` and a bare function ARN),
 * the optimised DynamoDB, SNS and EventBridge integrations, and `aws-sdk:<service>:<action>` calls
 * resolved to SDK clients the caller configured with local endpoints. Failures carry the error names
 * Step Functions reports for each integration.
 */

/** Any `@aws-sdk/*` client: only `send` is used. */
export interface SdkClient {
  send(command: object): Promise<unknown>;
}

/** A client and the module its command classes come from (`import * as iot from '@aws-sdk/client-iot'`). */
export interface SdkService {
  readonly client: SdkClient;
  readonly commands: Readonly<Record<string, unknown>>;
}

export interface Integrations {
  /** Who the state machine's role is to Lambda: its invocations are authorized as that role's. */
  readonly lambdaCaller?: InvokeCaller;
  readonly dynamodb?: SdkClient;
  readonly sns?: SdkClient;
  readonly eventbridge?: SdkClient;
  /** Resolves the `<service>` of `arn:aws:states:::aws-sdk:<service>:<action>`. */
  readonly sdk?: (service: string) => SdkService | undefined;
}

export type Pattern = 'request-response' | 'callback';

export interface ParsedResource {
  readonly kind: 'lambda-invoke' | 'lambda-function' | 'dynamodb' | 'sns' | 'events' | 'aws-sdk';
  readonly pattern: Pattern;
  /** As the history names it: `resourceType` and `resource`. */
  readonly resourceType: string;
  readonly resource: string;
  readonly service?: string;
  readonly action?: string;
}

export const parseResource = (arn: string): ParsedResource => {
  if (/^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?$/.test(arn)) {
    return { kind: 'lambda-function', pattern: 'request-response', resourceType: 'lambda', resource: arn };
  }
  const m = /^arn:aws[a-z-]*:states:[^:]*:[^:]*:(.+)$/.exec(arn);
  const spec = m?.[1];
  if (!spec) throw new StatesError('States.Runtime', `Unsupported Task resource '${arn}'`);
  let pattern: Pattern = 'request-response';
  let body = spec;
  if (body.endsWith('.waitForTaskToken')) {
    pattern = 'callback';
    body = body.slice(0, -'.waitForTaskToken'.length);
  } else if (body.endsWith('.sync') || body.endsWith('.sync:2')) {
    throw new StatesError('States.Runtime', `The .sync pattern is not supported locally: '${arn}'`);
  }
  const suffix = pattern === 'callback' ? '.waitForTaskToken' : '';
  const sdk = /^aws-sdk:([a-z0-9-]+):([A-Za-z0-9]+)$/.exec(body);
  if (sdk?.[1] && sdk[2]) {
    return {
      kind: 'aws-sdk',
      pattern,
      resourceType: `aws-sdk:${sdk[1]}`,
      resource: `${sdk[2]}${suffix}`,
      service: sdk[1],
      action: sdk[2],
    };
  }
  const [service, action] = body.split(':');
  const known: Record<string, ParsedResource['kind']> = {
    'lambda:invoke': 'lambda-invoke',
    'dynamodb:getItem': 'dynamodb',
    'dynamodb:putItem': 'dynamodb',
    'dynamodb:updateItem': 'dynamodb',
    'dynamodb:deleteItem': 'dynamodb',
    'sns:publish': 'sns',
    'events:putEvents': 'events',
  };
  const kind = known[`${service}:${action}`];
  if (!kind || !service || !action)
    throw new StatesError('States.Runtime', `Unsupported Task resource '${arn}'`);
  if (kind === 'dynamodb' && pattern === 'callback') {
    throw new StatesError('States.Runtime', `DynamoDB does not support .waitForTaskToken: '${arn}'`);
  }
  return { kind, pattern, resourceType: service, resource: `${action}${suffix}`, service, action };
};

export interface TaskCall {
  readonly resource: ParsedResource;
  readonly arn: string;
  readonly params: Json;
  readonly functions: FunctionRegistry;
  readonly clock: Clock;
  readonly integrations: Integrations;
}

const metadata = (): JsonObject => ({
  SdkHttpMetadata: { HttpStatusCode: 200 },
  SdkResponseMetadata: { RequestId: randomUUID() },
});

/** Calls the resource; resolves with the task result or rejects with a StatesError named as AWS names it. */
export const callTask = async (call: TaskCall): Promise<Json> => {
  const { resource, params } = call;
  switch (resource.kind) {
    case 'lambda-function':
      return invokeLambda(call, resource.resource, params, false);
    case 'lambda-invoke': {
      if (!isObject(params) || typeof params.FunctionName !== 'string') {
        throw new StatesError('States.Runtime', 'lambda:invoke needs the parameter FunctionName (a string)');
      }
      const payload = params.Payload ?? {};
      const result = await invokeLambda(call, params.FunctionName, payload, true);
      return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200, ...metadata() };
    }
    case 'dynamodb': {
      const client = call.integrations.dynamodb;
      if (!client)
        throw new StatesError('States.Runtime', 'No DynamoDB client is configured for the local engine');
      const input = objectParams(params, resource);
      // The SDK modules load on first use: most machines never touch them, and start-up stays fast.
      const { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand } = await import(
        '@aws-sdk/client-dynamodb'
      );
      const ctor = {
        getItem: GetItemCommand,
        putItem: PutItemCommand,
        updateItem: UpdateItemCommand,
        deleteItem: DeleteItemCommand,
      }[resource.action ?? ''];
      if (!ctor) throw new StatesError('States.Runtime', `Unsupported DynamoDB action ${resource.action}`);
      return sdkSend(client, Reflect.construct(ctor, [input]), 'DynamoDB', true);
    }
    case 'sns': {
      const client = call.integrations.sns;
      if (!client)
        throw new StatesError('States.Runtime', 'No SNS client is configured for the local engine');
      const { PublishCommand } = await import('@aws-sdk/client-sns');
      return sdkSend(
        client,
        Reflect.construct(PublishCommand, [objectParams(params, resource)]),
        'SNS',
        true,
      );
    }
    case 'events': {
      const client = call.integrations.eventbridge;
      if (!client)
        throw new StatesError('States.Runtime', 'No EventBridge client is configured for the local engine');
      const input = objectParams(params, resource);
      const { PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
      const out = await sdkSend(client, Reflect.construct(PutEventsCommand, [input]), 'EventBridge', true);
      if (isObject(out) && typeof out.FailedEntryCount === 'number' && out.FailedEntryCount > 0) {
        throw new StatesError('EventBridge.FailedEntry', JSON.stringify(out));
      }
      return out;
    }
    case 'aws-sdk':
      return callAwsSdk(call);
  }
};

const objectParams = (params: Json, resource: ParsedResource): JsonObject => {
  if (!isObject(params)) {
    throw new StatesError(
      'States.Runtime',
      `${resource.resourceType}:${resource.resource} needs an object of parameters`,
    );
  }
  return params;
};

const invokeLambda = async (call: TaskCall, fn: string, payload: Json, optimised: boolean): Promise<Json> => {
  if (!call.functions.resolve(fn)) {
    throw new StatesError(
      'Lambda.ResourceNotFoundException',
      `Function not found: ${fn} (Service: Lambda, Status Code: 404, Error Code: ResourceNotFoundException)`,
    );
  }
  try {
    return toJson(await call.functions.invoke(fn, payload, call.integrations.lambdaCaller));
  } catch (error) {
    if (error instanceof LambdaServiceError) {
      // The Lambda API failed the call (the function never ran): named and worded as Step Functions reports it.
      const cause = `${error.errorMessage} (Service: AWSLambda; Status Code: ${error.statusCode}; Error Code: ${error.exception}; Request ID: ${randomUUID()})`;
      throw new StatesError(error.errorType, cause, { cause: error });
    }
    if (error instanceof LambdaAccessDeniedError) {
      // The role may not invoke the function: Step Functions reports the SDK's generic Lambda exception.
      const cause = `${error.errorMessage} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: ${randomUUID()}; Proxy: null)`;
      throw new StatesError('Lambda.AWSLambdaException', cause, { cause: error });
    }
    if (error instanceof LambdaInvocationError) {
      const cause = JSON.stringify({
        errorType: error.errorType,
        errorMessage: error.errorMessage,
        trace: [],
      });
      throw new StatesError(error.errorType, cause, { cause: error });
    }
    throw new StatesError(optimised ? 'Lambda.ServiceException' : 'Lambda.Unknown', String(error), {
      cause: error,
    });
  }
};

const sdkSend = async (
  client: SdkClient,
  command: object,
  prefix: string,
  withMetadata: boolean,
): Promise<Json> => {
  let out: unknown;
  try {
    out = await client.send(command);
  } catch (error) {
    const name = error instanceof Error && error.name ? error.name : 'Unknown';
    const message = error instanceof Error ? error.message : String(error);
    throw new StatesError(
      `${prefix}.${name}`,
      `${message} (Service: ${prefix}, Status Code: ${statusOf(error)}, Error Code: ${name})`,
      { cause: error },
    );
  }
  const json = toJson(out);
  if (isObject(json)) {
    const { $metadata: _drop, ...rest } = json;
    return withMetadata ? { ...rest, ...metadata() } : rest;
  }
  return json;
};

const statusOf = (error: unknown): number => {
  if (typeof error === 'object' && error !== null && '$metadata' in error) {
    const meta = error.$metadata;
    if (
      typeof meta === 'object' &&
      meta !== null &&
      'httpStatusCode' in meta &&
      typeof meta.httpStatusCode === 'number'
    ) {
      return meta.httpStatusCode;
    }
  }
  return 400;
};

/** Error-name prefixes of the aws-sdk integration: the service's name in Step Functions' spelling. */
const SERVICE_NAMES: Record<string, string> = {
  iot: 'Iot',
  iotdata: 'IotData',
  dynamodb: 'DynamoDb',
  sns: 'Sns',
  eventbridge: 'EventBridge',
  sfn: 'Sfn',
  lambda: 'Lambda',
  acmpca: 'AcmPca',
};

/** Services whose API members are camelCase; the state machine always writes PascalCase. */
const CAMEL_CASE_SERVICES = new Set(['iot', 'iotdata', 'sfn']);

const recase = (value: Json, change: (key: string) => string): Json => {
  if (Array.isArray(value)) return value.map((v) => recase(v, change));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) out[change(k)] = recase(v, change);
  return out;
};
const lowerFirst = (k: string): string => k.charAt(0).toLowerCase() + k.slice(1);
const upperFirst = (k: string): string => k.charAt(0).toUpperCase() + k.slice(1);

const callAwsSdk = async (call: TaskCall): Promise<Json> => {
  const service = call.resource.service ?? '';
  const action = call.resource.action ?? '';
  const binding = call.integrations.sdk?.(service);
  const prefix = SERVICE_NAMES[service] ?? upperFirst(service);
  if (!binding) throw new StatesError('States.Runtime', `No client is configured for aws-sdk:${service}`);
  const ctor = binding.commands[`${upperFirst(action)}Command`];
  if (typeof ctor !== 'function') {
    throw new StatesError('States.Runtime', `aws-sdk:${service} has no action '${action}'`);
  }
  const camel = CAMEL_CASE_SERVICES.has(service);
  const params = call.params ?? {};
  const input = camel ? recase(params, lowerFirst) : params;
  const out = await sdkSend(binding.client, Reflect.construct(ctor, [input]), prefix, false);
  return camel ? recase(out, upperFirst) : out;
};
