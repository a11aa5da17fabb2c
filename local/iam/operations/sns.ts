/**
 * What SNS authorizes each operation of the local SNS endpoint as, after the Service Authorization
 * Reference. The input is the awsQuery request's form parameters (`Action` aside).
 */
import type { AuthorizationRequest, RequestContext } from '../types.ts';
import {
  arn,
  authorize,
  distinct,
  mappingOf,
  OperationInputError,
  type OperationScope,
  wildcard,
} from './shared.ts';

/** The form parameters of an awsQuery request, as a record or as parsed. */
export type SnsOperationInput = Readonly<Record<string, string>> | URLSearchParams;

type Params = (name: string) => string | undefined;
type Mapping = (param: Params, scope: OperationScope, operation: string) => AuthorizationRequest[];

function reader(input: SnsOperationInput): Params {
  return (name) => {
    const value = input instanceof URLSearchParams ? input.get(name) : input[name];
    return value === null || value === undefined || value === '' ? undefined : value;
  };
}

function required(param: Params, name: string, operation: string): string {
  const value = param(name);
  if (value === undefined) throw new OperationInputError('sns', operation, `${name} is required`);
  return value;
}

/** awsQuery tags: `Tags.member.N.Key` / `Tags.member.N.Value`. */
function tagContext(param: Params): RequestContext | undefined {
  const context: Record<string, string | readonly string[]> = {};
  const keys: string[] = [];
  for (let n = 1; ; n++) {
    const key = param(`Tags.member.${n}.Key`);
    if (key === undefined) break;
    keys.push(key);
    context[`aws:RequestTag/${key}`] = param(`Tags.member.${n}.Value`) ?? '';
  }
  if (keys.length === 0) return undefined;
  context['aws:TagKeys'] = keys;
  return context;
}

const onTopicArn =
  (action: string): Mapping =>
  (param, _scope, operation) => [authorize(action, required(param, 'TopicArn', operation))];

const MAPPINGS: Readonly<Record<string, Mapping>> = {
  CreateTopic: (param, scope, operation) => [
    authorize('sns:CreateTopic', arn(scope, 'sns', required(param, 'Name', operation)), tagContext(param)),
  ],
  DeleteTopic: onTopicArn('sns:DeleteTopic'),
  ListTopics: wildcard('sns:ListTopics'),
  Subscribe: (param, _scope, operation) => [
    authorize('sns:Subscribe', required(param, 'TopicArn', operation), {
      'sns:Protocol': required(param, 'Protocol', operation),
      ...(param('Endpoint') === undefined ? {} : { 'sns:Endpoint': param('Endpoint') ?? '' }),
    }),
  ],
  // A subscription ARN is its topic's ARN and an id: Unsubscribe is authorized on the topic.
  Unsubscribe: (param, _scope, operation) => {
    const subscription = required(param, 'SubscriptionArn', operation);
    const topic = /^(arn:[^:]+:sns:[^:]*:[^:]*:[^:]+):[^:]+$/.exec(subscription)?.[1];
    if (topic === undefined) {
      throw new OperationInputError('sns', operation, `'${subscription}' is not a subscription ARN`);
    }
    return [authorize('sns:Unsubscribe', topic)];
  },
  ListSubscriptions: wildcard('sns:ListSubscriptions'),
  ListSubscriptionsByTopic: onTopicArn('sns:ListSubscriptionsByTopic'),
  // The topic, or the endpoint a direct publish names as TargetArn.
  Publish: (param, _scope, operation) => {
    const target = param('TopicArn') ?? param('TargetArn');
    if (target === undefined)
      throw new OperationInputError('sns', operation, 'TopicArn or TargetArn is required');
    return [authorize('sns:Publish', target)];
  },
};

/** The SNS operations mapped (the local endpoint's `Action`s). */
export const SNS_OPERATIONS: readonly string[] = Object.freeze(Object.keys(MAPPINGS));

export function snsPermissions(
  operation: string,
  input: SnsOperationInput,
  scope: OperationScope,
): readonly AuthorizationRequest[] {
  const { mapping } = mappingOf(MAPPINGS, 'sns', operation);
  return distinct(mapping(reader(input), scope, operation));
}
