/**
 * IAM policy evaluation for one account's identity policies: an explicit Deny wins, else an Allow is needed.
 * A malformed statement does not apply rather than throw (AWS would not have stored it).
 */

import { globMatches } from '../glob.ts';
import { type ContextLookup, conditionHolds } from './conditions.ts';
import { arnTokensMatch, parseTemplate, resolveTemplate, type TemplatePart } from './pattern.ts';
import type {
  AuthorizationRequest,
  Decision,
  PolicyDocument,
  PolicyStatement,
  Principal,
  RequestContext,
} from './types.ts';

/** A policy element as a list of strings; anything else a malformed document might hold is left out. */
function list(value: unknown): readonly string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Parsed Resource (or NotResource) patterns, per statement object (policy documents are not mutated). */
const templates = new WeakMap<PolicyStatement, TemplatePart[][]>();

function resourceTemplates(statement: PolicyStatement, patterns: readonly string[]): TemplatePart[][] {
  let parsed = templates.get(statement);
  if (parsed === undefined) {
    parsed = patterns.map((pattern) => parseTemplate(pattern, true));
    templates.set(statement, parsed);
  }
  return parsed;
}

/** Builds a case-insensitive lookup over the request context and the keys the principal implies. */
export function contextLookup(context: RequestContext, principal?: Principal): ContextLookup {
  const keys = new Map<string, string | readonly string[]>();
  for (const [key, value] of Object.entries(principalContext(principal))) keys.set(key.toLowerCase(), value);
  for (const [key, value] of Object.entries(context)) keys.set(key.toLowerCase(), value);
  return (key) => keys.get(key.toLowerCase());
}

/**
 * The global keys AWS derives from the caller: aws:PrincipalArn (the role's ARN for a role session),
 * aws:PrincipalAccount and aws:PrincipalType. Keys the request context sets take precedence.
 */
function principalContext(principal: Principal | undefined): Record<string, string> {
  if (principal === undefined) return {};
  const account = principal.arn.split(':')[4] ?? '';
  return {
    'aws:PrincipalArn': principal.roleArn ?? principal.arn,
    'aws:PrincipalAccount': account,
    'aws:PrincipalType': principal.roleArn !== undefined ? 'AssumedRole' : 'Account',
  };
}

function actionMatches(statement: PolicyStatement, action: string): boolean | undefined {
  const { Action, NotAction } = statement;
  if ((Action === undefined) === (NotAction === undefined)) return undefined;
  const patterns = list(Action ?? NotAction);
  const any = patterns.some((pattern) => globMatches(pattern, action, true));
  return Action !== undefined ? any : !any;
}

function resourceMatches(
  statement: PolicyStatement,
  resource: string,
  lookup: ContextLookup,
): boolean | undefined {
  const { Resource, NotResource } = statement;
  if ((Resource === undefined) === (NotResource === undefined)) return undefined;
  const variable = (key: string) => {
    const value = lookup(key);
    return typeof value === 'string' ? value : undefined;
  };
  const any = resourceTemplates(statement, list(Resource ?? NotResource)).some((parts) => {
    const tokens = resolveTemplate(parts, variable);
    return tokens !== undefined && arnTokensMatch(tokens, resource);
  });
  return Resource !== undefined ? any : !any;
}

/** Whether a statement applies to the request (ignoring its effect and principal). */
function statementApplies(
  statement: PolicyStatement,
  request: AuthorizationRequest,
  lookup: ContextLookup,
): boolean {
  if (statement === null || typeof statement !== 'object') return false;
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') return false;
  if (actionMatches(statement, request.action) !== true) return false;
  if (resourceMatches(statement, request.resource, lookup) !== true) return false;
  if (statement.Condition === undefined) return true;
  if (statement.Condition === null || typeof statement.Condition !== 'object') return false;
  return conditionHolds(statement.Condition, lookup) === true;
}

function statementsOf(policy: PolicyDocument): readonly PolicyStatement[] {
  const statements: unknown = policy?.Statement;
  if (Array.isArray(statements)) return statements;
  // A single statement object is valid IAM JSON even though the type asks for an array.
  return statements !== null && typeof statements === 'object' ? [statements as PolicyStatement] : [];
}

/** Decides one request against identity-based policies. Pure; `principal` supplies the aws:Principal* keys. */
export function evaluate(
  policies: readonly PolicyDocument[],
  request: AuthorizationRequest,
  principal?: Principal,
): Decision {
  const lookup = contextLookup(request.context, principal);
  let allowed = false;
  for (const policy of policies) {
    for (const statement of statementsOf(policy)) {
      if (statement?.Principal !== undefined) continue;
      if (!statementApplies(statement, request, lookup)) continue;
      if (statement.Effect === 'Deny') return 'ExplicitDeny';
      allowed = true;
    }
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}

export type ResourcePolicyRequest = AuthorizationRequest & {
  /** A service principal calling, e.g. `iot.amazonaws.com`. */
  readonly principalService?: string;
  /** An AWS principal calling: a role session's ARN, a role's ARN or an account's root ARN. */
  readonly principalArn?: string;
};

function accountOf(arn: string): string | undefined {
  return arn.split(':')[4];
}

/** A role session's ARN maps to its role's ARN (`assumed-role/R/S` → `role/R`), as resource policies name it. */
function roleOfSession(arn: string): string | undefined {
  const match = /^arn:([^:]+):sts::(\d+):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  return match === null ? undefined : `arn:${match[1]}:iam::${match[2]}:role/${match[3]}`;
}

function awsPrincipalMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  if (pattern === arn) return true;
  const account = /^\d{12}$/.test(pattern) ? pattern : /^arn:[^:]+:iam::(\d{12}):root$/.exec(pattern)?.[1];
  if (account !== undefined) return accountOf(arn) === account;
  const role = roleOfSession(arn);
  // A role ARN with a path (`role/path/R`) still names the session's role R.
  return role !== undefined && pattern.replace(/:role\/(?:.*\/)?([^/]+)$/, ':role/$1') === role;
}

function principalMatches(statement: PolicyStatement, request: ResourcePolicyRequest): boolean {
  const principal = statement.Principal;
  if (principal === '*') return true;
  if (principal === undefined || principal === null || typeof principal !== 'object') return false;
  for (const [kind, values] of Object.entries(principal)) {
    for (const value of list(values)) {
      if (
        kind === 'AWS' &&
        request.principalArn !== undefined &&
        awsPrincipalMatches(value, request.principalArn)
      )
        return true;
      if (kind === 'Service' && request.principalService !== undefined) {
        if (value === '*' || value.toLowerCase() === request.principalService.toLowerCase()) return true;
      }
    }
  }
  return false;
}

/**
 * Decides a request against a resource-based policy: only statements whose Principal names the caller apply;
 * the caller's aws:PrincipalArn, PrincipalAccount and PrincipalServiceName join the context unless set.
 */
export function evaluateResourcePolicy(policy: PolicyDocument, request: ResourcePolicyRequest): Decision {
  const derived: Record<string, string> = {};
  if (request.principalArn !== undefined) {
    derived['aws:PrincipalArn'] = roleOfSession(request.principalArn) ?? request.principalArn;
    derived['aws:PrincipalAccount'] = accountOf(request.principalArn) ?? '';
  }
  if (request.principalService !== undefined) derived['aws:PrincipalServiceName'] = request.principalService;
  const lookup = contextLookup({ ...derived, ...request.context });
  let allowed = false;
  for (const statement of statementsOf(policy)) {
    if (statement === null || typeof statement !== 'object' || !principalMatches(statement, request))
      continue;
    if (!statementApplies(statement, request, lookup)) continue;
    if (statement.Effect === 'Deny') return 'ExplicitDeny';
    allowed = true;
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}
