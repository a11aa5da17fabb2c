import { z } from 'zod';
import { InvalidEventPatternError } from './event-pattern.ts';
import {
  DEFAULT_EVENT_BUS,
  EventBridgeNotFoundError,
  EventBridgeValidationError,
  type LocalEventBridge,
} from './eventbridge.ts';

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

class JsonError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

const Bus = z.string().optional();
const Schemas = {
  PutEvents: z.object({
    Entries: z
      .array(
        z.object({
          Source: z.string().optional(),
          DetailType: z.string().optional(),
          Detail: z.string().optional(),
          Resources: z.array(z.string()).optional(),
          Time: z.number().optional(),
          EventBusName: z.string().optional(),
        }),
      )
      .min(1)
      .max(10),
  }),
  PutRule: z.object({
    Name: z.string(),
    EventPattern: z.string(),
    State: z.enum(['ENABLED', 'DISABLED']).optional(),
    Description: z.string().optional(),
    EventBusName: Bus,
  }),
  DescribeRule: z.object({ Name: z.string(), EventBusName: Bus }),
  DeleteRule: z.object({ Name: z.string(), EventBusName: Bus }),
  ListRules: z.object({ NamePrefix: z.string().optional(), EventBusName: Bus }),
  PutTargets: z.object({
    Rule: z.string(),
    EventBusName: Bus,
    Targets: z.array(z.object({ Id: z.string(), Arn: z.string(), Input: z.string().optional() })).min(1),
  }),
  RemoveTargets: z.object({ Rule: z.string(), EventBusName: Bus, Ids: z.array(z.string()).min(1) }),
  ListTargetsByRule: z.object({ Rule: z.string(), EventBusName: Bus }),
};

/**
 * EventBridge's wire protocol (awsJson1_1): `X-Amz-Target: AWSEvents.<Operation>`, a JSON body,
 * and errors as `{"__type": <code>, "message"}` with status 400, as the SDK expects.
 */
export async function handleEventBridgeJson(
  bridge: LocalEventBridge,
  operation: string,
  body: string,
): Promise<JsonResponse> {
  try {
    const input: unknown = body.trim() === '' ? {} : JSON.parse(body);
    return { status: 200, body: await run(bridge, operation, input) };
  } catch (error) {
    if (error instanceof JsonError) return fail(error.code, error.message);
    if (error instanceof SyntaxError)
      return fail('ValidationException', `Request body is not JSON: ${error.message}`);
    if (error instanceof InvalidEventPatternError) return fail('InvalidEventPatternException', error.message);
    if (error instanceof EventBridgeNotFoundError) return fail('ResourceNotFoundException', error.message);
    if (error instanceof EventBridgeValidationError) return fail('ValidationException', error.message);
    return { status: 500, body: { __type: 'InternalException', message: String(error) } };
  }
}

function parse<T>(schema: z.ZodType<T>, input: unknown, operation: string): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new JsonError('ValidationException', `${operation}: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}

async function run(bridge: LocalEventBridge, operation: string, input: unknown): Promise<unknown> {
  switch (operation) {
    case 'PutEvents': {
      const { Entries } = parse(Schemas.PutEvents, input, operation);
      // The SDK sends Time as epoch seconds.
      const results = bridge.putEvents(
        Entries.map((e) => ({ ...e, Time: e.Time === undefined ? undefined : e.Time * 1000 })),
      );
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    }
    case 'PutRule': {
      const request = parse(Schemas.PutRule, input, operation);
      return { RuleArn: await bridge.putRule(withoutUndefined(request)) };
    }
    case 'DescribeRule': {
      const { Name, EventBusName } = parse(Schemas.DescribeRule, input, operation);
      const rule = bridge.describeRule(Name, EventBusName);
      return describe(bridge, rule);
    }
    case 'DeleteRule': {
      const { Name, EventBusName } = parse(Schemas.DeleteRule, input, operation);
      await bridge.deleteRule(Name, EventBusName);
      return {};
    }
    case 'ListRules': {
      const { NamePrefix, EventBusName } = parse(Schemas.ListRules, input, operation);
      return { Rules: bridge.listRules(EventBusName, NamePrefix).map((rule) => describe(bridge, rule)) };
    }
    case 'PutTargets': {
      const { Rule, EventBusName, Targets } = parse(Schemas.PutTargets, input, operation);
      const failed = await bridge.putTargets(Rule, Targets.map(withoutUndefined), EventBusName);
      return { FailedEntryCount: failed.length, FailedEntries: failed };
    }
    case 'RemoveTargets': {
      const { Rule, EventBusName, Ids } = parse(Schemas.RemoveTargets, input, operation);
      await bridge.removeTargets(Rule, Ids, EventBusName);
      return { FailedEntryCount: 0, FailedEntries: [] };
    }
    case 'ListTargetsByRule': {
      const { Rule, EventBusName } = parse(Schemas.ListTargetsByRule, input, operation);
      return { Targets: bridge.describeRule(Rule, EventBusName).Targets };
    }
    default:
      throw new JsonError('UnknownOperationException', `Operation ${operation || '(none)'} is not supported`);
  }
}

function describe(bridge: LocalEventBridge, rule: ReturnType<LocalEventBridge['describeRule']>) {
  return {
    Name: rule.Name,
    Arn: bridge.ruleArn(rule.Name, rule.EventBusName),
    EventPattern: rule.EventPattern,
    State: rule.State,
    EventBusName: rule.EventBusName ?? DEFAULT_EVENT_BUS,
    ...(rule.Description !== undefined ? { Description: rule.Description } : {}),
  };
}

/** Drops keys whose value is undefined, so optional inputs stay absent under exactOptionalPropertyTypes. */
function withoutUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = item;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}

function fail(code: string, message: string): JsonResponse {
  return { status: 400, body: { __type: code, message } };
}
