/**
 * Decides whether a connection may do an action on a resource under its certificate's policies:
 * nothing is allowed unless a statement allows it, and an applicable Deny always wins.
 */

import { globMatches, tokensMatch } from '../../glob.ts';
import type { ParsedPolicy, PolicyCondition, PolicyStatement } from './document.ts';
import { type PolicyContext, resolvePattern, variableValue } from './variables.ts';

export type IotAction = 'iot:Connect' | 'iot:Publish' | 'iot:Subscribe' | 'iot:Receive' | 'iot:RetainPublish';

export interface IotResources {
  readonly region: string;
  readonly accountId: string;
}

export function resourceArn(
  where: IotResources,
  kind: 'client' | 'topic' | 'topicfilter',
  name: string,
): string {
  return `arn:aws:iot:${where.region}:${where.accountId}:${kind}/${name}`;
}

export function isAllowed(
  policies: readonly ParsedPolicy[],
  action: IotAction,
  resource: string,
  ctx: PolicyContext,
): boolean {
  let allowed = false;
  for (const policy of policies) {
    for (const statement of policy.statements) {
      if (!applies(statement, action, resource, ctx)) continue;
      if (statement.effect === 'Deny') return false;
      allowed = true;
    }
  }
  return allowed;
}

function applies(
  statement: PolicyStatement,
  action: IotAction,
  resource: string,
  ctx: PolicyContext,
): boolean {
  if (!statement.actions.some((pattern) => globMatches(pattern, action, true))) return false;
  const resourceMatches = statement.resources.some((pattern) => {
    const tokens = resolvePattern(pattern, ctx);
    return tokens !== undefined && tokensMatch(tokens, resource);
  });
  if (!resourceMatches) return false;
  return statement.conditions.every((condition) => conditionHolds(condition, ctx));
}

/** The condition operators IoT policies use; an operator not listed here never holds. */
function conditionHolds(condition: PolicyCondition, ctx: PolicyContext): boolean {
  const actual = variableValue(condition.key, ctx);
  const ifExists = condition.operator.endsWith('IfExists');
  const operator = ifExists ? condition.operator.slice(0, -'IfExists'.length) : condition.operator;
  if (actual === undefined) return ifExists || operator === 'Null';
  const expected = condition.values.map((v) => {
    const tokens = resolvePattern(v, ctx);
    return tokens;
  });
  switch (operator) {
    case 'StringEquals':
      return condition.values.some((v) => v === actual);
    case 'StringNotEquals':
      return condition.values.every((v) => v !== actual);
    case 'StringEqualsIgnoreCase':
      return condition.values.some((v) => v.toLowerCase() === actual.toLowerCase());
    case 'StringLike':
      return expected.some((tokens) => tokens !== undefined && tokensMatch(tokens, actual));
    case 'StringNotLike':
      return expected.every((tokens) => tokens === undefined || !tokensMatch(tokens, actual));
    case 'Bool':
      return condition.values.some((v) => v.toLowerCase() === actual.toLowerCase());
    case 'Null':
      return condition.values.some((v) => v.toLowerCase() === 'false');
    default:
      return false;
  }
}
