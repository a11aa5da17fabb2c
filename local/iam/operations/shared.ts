/**
 * What every service's operation map shares: the account the request is made in, the two errors
 * a mapping answers with, and small readers of parsed request bodies.
 */
import type { AuthorizationRequest, RequestContext } from '../types.ts';

/** The partition, Region and account a local service runs as; ARNs are built from it. */
export interface OperationScope {
  readonly partition: 'aws';
  readonly region: string;
  readonly accountId: string;
}

/** An operation the map has no entry for: a new route or target that nobody mapped yet. */
export class UnknownOperationError extends Error {
  override readonly name = 'UnknownOperationError';
  constructor(
    readonly service: string,
    readonly operation: string,
  ) {
    super(`no IAM authorization is mapped for ${service} operation '${operation}'`);
  }
}

/**
 * A request lacking the parameter its authorized resource is built from: AWS rejects it as invalid before
 * authorizing, so it is answered with the service's validation error, not a denial.
 */
export class OperationInputError extends Error {
  override readonly name = 'OperationInputError';
  constructor(
    readonly service: string,
    readonly operation: string,
    detail: string,
  ) {
    super(`${service} ${operation}: ${detail}`);
  }
}

const NO_CONTEXT: RequestContext = Object.freeze({});

export function authorize(action: string, resource: string, context?: RequestContext): AuthorizationRequest {
  return { action, resource, context: context ?? NO_CONTEXT };
}

export const arn = (scope: OperationScope, service: string, resource: string): string =>
  `arn:${scope.partition}:${service}:${scope.region}:${scope.accountId}:${resource}`;

/** `iam:PassRole` as a service authorizes it when a request hands it a role to assume later. */
export function passRole(roleArn: string, service: string): AuthorizationRequest {
  return authorize('iam:PassRole', roleArn, { 'iam:PassedToService': service });
}

/** An action that names no resource: the reference authorizes it on `*`. */
export const wildcard = (action: string) => (): AuthorizationRequest[] => [authorize(action, '*')];

export const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A string field of a JSON object, or undefined when absent, empty or not a string. */
export function stringField(value: unknown, name: string): string | undefined {
  if (!isRecord(value)) return undefined;
  const field = value[name];
  return typeof field === 'string' && field !== '' ? field : undefined;
}

/** A string field the operation cannot go without; its absence is the caller's input error. */
export function requiredField(value: unknown, name: string, service: string, operation: string): string {
  const field = stringField(value, name);
  if (field === undefined) throw new OperationInputError(service, operation, `${name} is required`);
  return field;
}

export function recordField(value: unknown, name: string): Readonly<Record<string, unknown>> | undefined {
  if (!isRecord(value)) return undefined;
  const field = value[name];
  return isRecord(field) ? field : undefined;
}

export function arrayField(value: unknown, name: string): readonly unknown[] {
  if (!isRecord(value)) return [];
  const field = value[name];
  return Array.isArray(field) ? field : [];
}

/**
 * `aws:RequestTag/<key>` for each tag of a request and `aws:TagKeys` for all their keys; services
 * spell a tag `{Key, Value}` or `{key, value}`. Undefined when the request carries no tags.
 */
export function tagContext(
  tags: readonly unknown[],
  keyField: 'Key' | 'key' = 'Key',
  valueField: 'Value' | 'value' = 'Value',
): RequestContext | undefined {
  const context: Record<string, string | readonly string[]> = {};
  const keys: string[] = [];
  for (const tag of tags) {
    const key = stringField(tag, keyField);
    if (key === undefined || !isRecord(tag)) continue;
    keys.push(key);
    const value = tag[valueField];
    context[`aws:RequestTag/${key}`] = typeof value === 'string' ? value : '';
  }
  if (keys.length === 0) return undefined;
  context['aws:TagKeys'] = keys;
  return context;
}

/** Every string under a `roleArn` / `RoleArn` key anywhere in a JSON value (rule actions, targets). */
export function roleArnsIn(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) roleArnsIn(item, found);
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      if ((key === 'roleArn' || key === 'RoleArn') && typeof item === 'string' && item !== '')
        found.add(item);
      else roleArnsIn(item, found);
    }
  }
  return found;
}

/** Drops repeated (action, resource, context) triples, keeping the first's order. */
export function distinct(requests: readonly AuthorizationRequest[]): readonly AuthorizationRequest[] {
  const seen = new Set<string>();
  return requests.filter((request) => {
    const key = JSON.stringify([request.action, request.resource, request.context]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** What one operation authorizes as, from its input and the caller's scope. */
export type OperationMapping<I = unknown, S extends OperationScope = OperationScope> = (
  input: I,
  scope: S,
  operation: string,
) => AuthorizationRequest[];

/**
 * The mapping of `operation`, named bare or by its `X-Amz-Target` (`<targetPrefix><name>`), with
 * the bare name; an operation the table does not map is unknown to the service.
 */
export function mappingOf<M>(
  mappings: Readonly<Record<string, M>>,
  service: string,
  operation: string,
  targetPrefix?: RegExp,
): { name: string; mapping: M } {
  const name = targetPrefix === undefined ? operation : operation.replace(targetPrefix, '');
  const mapping = Object.hasOwn(mappings, name) ? mappings[name] : undefined;
  if (mapping === undefined) throw new UnknownOperationError(service, operation);
  return { name, mapping };
}

/** A service's permissions function over its table of mappings, each request listed once. */
export function permissionsOf<I, S extends OperationScope>(
  mappings: Readonly<Record<string, OperationMapping<I, S>>>,
  service: string,
  targetPrefix?: RegExp,
): (operation: string, input: I, scope: S) => readonly AuthorizationRequest[] {
  return (operation, input, scope) => {
    const { name, mapping } = mappingOf(mappings, service, operation, targetPrefix);
    return distinct(mapping(input, scope, name));
  };
}
