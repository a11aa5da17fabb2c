/**
 * What EventBridge authorizes each operation as (Service Authorization Reference): PutEvents on each entry's
 * bus, rule operations on `rule/<name>` (default bus) or `rule/<bus>/<name>`.
 */
import type { RequestContext } from '../types.ts';
import {
  arn,
  arrayField,
  authorize,
  isRecord,
  type OperationMapping as Mapping,
  OperationInputError,
  type OperationScope,
  passRole,
  permissionsOf,
  requiredField,
  stringField,
  tagContext,
  wildcard,
} from './shared.ts';

const TARGET_PREFIX = /^AWSEvents\./;
const DEFAULT_BUS = 'default';
const EVENTS_SERVICE_PRINCIPAL = 'events.amazonaws.com';

/** A bus named by name or ARN, as its name. */
function busName(nameOrArn: string | undefined): string {
  if (nameOrArn === undefined) return DEFAULT_BUS;
  return /^arn:[^:]+:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(nameOrArn)?.[1] ?? nameOrArn;
}

function busArn(scope: OperationScope, nameOrArn: string | undefined): string {
  return nameOrArn?.startsWith('arn:') ? nameOrArn : arn(scope, 'events', `event-bus/${busName(nameOrArn)}`);
}

function ruleArn(input: unknown, field: 'Name' | 'Rule', scope: OperationScope, operation: string): string {
  const rule = requiredField(input, field, 'events', operation);
  const bus = busName(stringField(input, 'EventBusName'));
  return arn(scope, 'events', bus === DEFAULT_BUS ? `rule/${rule}` : `rule/${bus}/${rule}`);
}

/** The strings of a pattern field (`source`, `detail-type`), which PutRule's condition keys compare. */
function patternContext(input: unknown): RequestContext {
  let pattern: unknown;
  try {
    pattern = JSON.parse(stringField(input, 'EventPattern') ?? 'null');
  } catch {
    return {};
  }
  const context: Record<string, readonly string[]> = {};
  for (const field of ['source', 'detail-type'] as const) {
    const values = arrayField(pattern, field).filter((v): v is string => typeof v === 'string');
    if (values.length > 0) context[`events:${field}`] = values;
  }
  return context;
}

const onRule =
  (action: string, field: 'Name' | 'Rule'): Mapping =>
  (input, scope, operation) => [authorize(action, ruleArn(input, field, scope, operation))];

const MAPPINGS: Readonly<Record<string, Mapping>> = {
  // Each entry on its own bus, with its source and detail type.
  PutEvents: (input, scope, operation) => {
    const entries = arrayField(input, 'Entries').filter(isRecord);
    if (entries.length === 0) throw new OperationInputError('events', operation, 'Entries is required');
    return entries.map((entry) => {
      const source = stringField(entry, 'Source');
      const detailType = stringField(entry, 'DetailType');
      return authorize('events:PutEvents', busArn(scope, stringField(entry, 'EventBusName')), {
        ...(source === undefined ? {} : { 'events:source': source }),
        ...(detailType === undefined ? {} : { 'events:detail-type': detailType }),
      });
    });
  },
  PutRule: (input, scope, operation) => [
    authorize('events:PutRule', ruleArn(input, 'Name', scope, operation), {
      ...patternContext(input),
      ...tagContext(arrayField(input, 'Tags')),
    }),
  ],
  DescribeRule: onRule('events:DescribeRule', 'Name'),
  DeleteRule: onRule('events:DeleteRule', 'Name'),
  ListRules: wildcard('events:ListRules'),
  // One request per target (`events:TargetArn`), and iam:PassRole for a target's role.
  PutTargets: (input, scope, operation) => {
    const rule = ruleArn(input, 'Rule', scope, operation);
    const targets = arrayField(input, 'Targets').filter(isRecord);
    if (targets.length === 0) throw new OperationInputError('events', operation, 'Targets is required');
    return targets.flatMap((target) => {
      const targetArn = stringField(target, 'Arn');
      const role = stringField(target, 'RoleArn');
      return [
        authorize(
          'events:PutTargets',
          rule,
          targetArn === undefined ? undefined : { 'events:TargetArn': targetArn },
        ),
        ...(role === undefined ? [] : [passRole(role, EVENTS_SERVICE_PRINCIPAL)]),
      ];
    });
  },
  RemoveTargets: onRule('events:RemoveTargets', 'Rule'),
  ListTargetsByRule: onRule('events:ListTargetsByRule', 'Rule'),
};

/** The EventBridge operations mapped, by bare name (`PutEvents`). */
export const EVENTS_OPERATIONS: readonly string[] = Object.freeze(Object.keys(MAPPINGS));

/** `operation` is the bare name or the `X-Amz-Target` (`AWSEvents.PutEvents`). */
export const eventsPermissions = permissionsOf(MAPPINGS, 'events', TARGET_PREFIX);
