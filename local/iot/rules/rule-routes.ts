import { restGuard } from '../http/rest-guard.ts';
import { RestError, type RestRequest, type RestRoute, route } from '../interfaces.ts';
import { type StoredRule, TopicRulePayloadSchema } from './rule-model.ts';
import {
  InvalidRuleError,
  RuleAlreadyExistsError,
  RuleNotFoundError,
  type RulesEngine,
} from './rules-engine.ts';
import { SqlSyntaxError } from './sql/errors.ts';

/**
 * The topic rule operations of the IoT control plane, on AWS's URIs:
 * CreateTopicRule `POST /rules/{ruleName}`, ReplaceTopicRule `PATCH /rules/{ruleName}`,
 * GetTopicRule `GET /rules/{ruleName}`, ListTopicRules `GET /rules`, DeleteTopicRule `DELETE /rules/{ruleName}`.
 */
export function topicRuleRoutes(engine: RulesEngine): RestRoute[] {
  return [
    route('CreateTopicRule', 'POST', '/rules/{ruleName}', (request) =>
      guard(async () => {
        await engine.createRule(ruleNameOf(request), payloadOf(request));
        return { status: 200 };
      }),
    ),
    route('ReplaceTopicRule', 'PATCH', '/rules/{ruleName}', (request) =>
      guard(async () => {
        await engine.replaceRule(ruleNameOf(request), payloadOf(request));
        return { status: 200 };
      }),
    ),
    route('GetTopicRule', 'GET', '/rules/{ruleName}', (request) =>
      guard(() => {
        const rule = engine.getRule(ruleNameOf(request));
        return { status: 200, body: { ruleArn: engine.ruleArn(rule.ruleName), rule: describeRule(rule) } };
      }),
    ),
    route('ListTopicRules', 'GET', '/rules', (request) =>
      guard(() => {
        const topic = request.query.get('topic');
        const disabled = request.query.get('ruleDisabled');
        const maxResults = pageSize(request.query.get('maxResults'));
        const start = offsetOf(request.query.get('nextToken'));
        const all = engine
          .listRules()
          .filter((rule) => topic === null || engine.topicPattern(rule.ruleName) === topic)
          .filter(
            (rule) => disabled === null || (rule.payload.ruleDisabled ?? false) === (disabled === 'true'),
          );
        const page = all.slice(start, start + maxResults);
        const next = start + maxResults < all.length ? String(start + maxResults) : undefined;
        return {
          status: 200,
          body: {
            rules: page.map((rule) => ({
              ruleArn: engine.ruleArn(rule.ruleName),
              ruleName: rule.ruleName,
              topicPattern: engine.topicPattern(rule.ruleName),
              createdAt: rule.createdAt / 1000,
              ruleDisabled: rule.payload.ruleDisabled ?? false,
            })),
            ...(next ? { nextToken: next } : {}),
          },
        };
      }),
    ),
    route('DeleteTopicRule', 'DELETE', '/rules/{ruleName}', (request) =>
      guard(async () => {
        await engine.deleteRule(ruleNameOf(request));
        return { status: 200 };
      }),
    ),
  ];
}

function describeRule(rule: StoredRule): Record<string, unknown> {
  const { payload } = rule;
  return {
    ruleName: rule.ruleName,
    sql: payload.sql,
    ...(payload.description !== undefined ? { description: payload.description } : {}),
    // restJson1 timestamps are epoch seconds.
    createdAt: rule.createdAt / 1000,
    actions: payload.actions,
    ruleDisabled: payload.ruleDisabled ?? false,
    // AWS reports the default SQL version when the rule did not name one.
    awsIotSqlVersion: payload.awsIotSqlVersion ?? '2015-10-08',
    ...(payload.errorAction ? { errorAction: payload.errorAction } : {}),
  };
}

function ruleNameOf(request: RestRequest): string {
  const name = request.pathParams.ruleName;
  if (!name) throw new RestError(400, 'InvalidRequestException', 'ruleName is required');
  return name;
}

function payloadOf(request: RestRequest) {
  const parsed = TopicRulePayloadSchema.safeParse(request.body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
    throw new RestError(400, 'InvalidRequestException', `Invalid topic rule payload: ${issues.join('; ')}`);
  }
  return parsed.data;
}

function pageSize(value: string | null): number {
  if (value === null) return 1000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10000) {
    throw new RestError(
      400,
      'InvalidRequestException',
      `maxResults must be an integer from 1 to 10000, got ${value}`,
    );
  }
  return n;
}

function offsetOf(token: string | null): number {
  if (token === null) return 0;
  const n = Number(token);
  if (!Number.isInteger(n) || n < 0)
    throw new RestError(400, 'InvalidRequestException', `Invalid nextToken: ${token}`);
  return n;
}

/** Maps the engine's errors to the exceptions AWS answers with. */
const guard = restGuard([
  {
    type: SqlSyntaxError,
    status: 400,
    code: 'SqlParseException',
    message: (e) => `Invalid SQL: ${e.message}`,
  },
  { type: RuleAlreadyExistsError, status: 409, code: 'ResourceAlreadyExistsException' },
  { type: InvalidRuleError, status: 400, code: 'InvalidRequestException' },
  // AWS answers a missing rule with UnauthorizedException rather than a not-found error.
  { type: RuleNotFoundError, status: 401, code: 'UnauthorizedException' },
]);
