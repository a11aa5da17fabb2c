import { randomUUID } from 'node:crypto';
import { namedError } from '../../../lib/named-error.ts';
import { AsyncLambdaInvoker } from '../../events/async-invoke.ts';
import type { LambdaTargetServiceOptions } from '../../events/lambda-deliveries.ts';
import type { BusMessage, MessageBus } from '../interfaces.ts';
import { RULE_NAME_PATTERN, type RuleAction, type StoredRule, type TopicRulePayload } from './rule-model.ts';
import { RuleStore } from './rule-store.ts';
import type { SelectStatement } from './sql/ast.ts';
import { SqlEvaluationError, SqlSyntaxError } from './sql/errors.ts';
import { evaluateStatement, type SqlMessage, type SqlResult } from './sql/evaluator.ts';
import { parseSql } from './sql/parser.ts';
import { parseTemplate, renderTemplate, type Template } from './substitution.ts';
import { topicMatches } from './topic-filter.ts';

export class RuleNotFoundError extends namedError('RuleNotFoundError') {}
export class RuleAlreadyExistsError extends namedError('RuleAlreadyExistsError') {}
export class InvalidRuleError extends namedError('InvalidRuleError') {}

/** One entry of the error action's message, in AWS's shape. */
export type ActionFailure = {
  readonly failedAction: 'LambdaAction' | 'RepublishAction';
  readonly failedResource: string;
  readonly errorMessage: string;
};

/** What the engine reports about its work, for logs and metrics (never the payloads themselves). */
export type RulesEngineEvent =
  | { readonly type: 'matched'; readonly ruleName: string; readonly topic: string }
  | {
      readonly type: 'sql-error';
      readonly ruleName: string;
      readonly topic: string;
      readonly message: string;
    }
  | { readonly type: 'action-failed'; readonly ruleName: string; readonly failure: ActionFailure }
  | { readonly type: 'error-action-failed'; readonly ruleName: string; readonly message: string }
  | { readonly type: 'rule-file-error'; readonly message: string };

/** A Lambda target service's options, with the bus whose messages the rules match. */
export interface RulesEngineOptions extends LambdaTargetServiceOptions {
  readonly bus: MessageBus;
  /** Where rules persist (`<stateDir>/iot/rules/`); in memory when omitted. */
  readonly stateDir?: string;
  readonly onEvent?: (event: RulesEngineEvent) => void;
}

interface CompiledRule {
  readonly stored: StoredRule;
  readonly statement: SelectStatement;
  readonly republishTopics: ReadonlyMap<RuleAction, Template>;
}

/**
 * The AWS IoT rules engine on the local message bus: every accepted message is matched against
 * each enabled rule's FROM filter, its SQL is evaluated with the sender's client id and principal,
 * and its actions run. A failed action (a republish the bus refused, a Lambda function that still
 * fails after Lambda's asynchronous retries, one that does not exist, or one whose resource-based
 * policy does not allow the rule to invoke it) runs the rule's error action with AWS's error message shape.
 */
export class RulesEngine {
  private readonly rules = new Map<string, CompiledRule>();
  private readonly store: RuleStore | undefined;
  private readonly invoker: AsyncLambdaInvoker;
  private readonly ownsInvoker: boolean;
  private unsubscribe: (() => void) | undefined;
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: RulesEngineOptions) {
    this.store = options.stateDir ? RuleStore.inStateDir(options.stateDir) : undefined;
    this.ownsInvoker = !options.invoker;
    this.invoker = options.invoker ?? new AsyncLambdaInvoker(options.functions, options.clock);
  }

  /** Loads the stored rules and starts listening to the bus. */
  async start(): Promise<void> {
    this.closed = false;
    if (this.store) {
      const { rules, errors } = await this.store.load();
      for (const error of errors) this.emit({ type: 'rule-file-error', message: error.message });
      for (const stored of rules) {
        try {
          this.rules.set(stored.ruleName, compile(stored));
        } catch (error) {
          this.emit({ type: 'rule-file-error', message: `${stored.ruleName}: ${String(error)}` });
        }
      }
    }
    this.unsubscribe ??= this.options.bus.subscribe((message) => {
      const work = this.handle(message);
      this.running.add(work);
      void work.finally(() => this.running.delete(work));
    });
  }

  /**
   * Stops listening. Pending Lambda retries of an invoker this engine made are cancelled and no
   * error action runs after close; with a shared invoker, its owner cancels them.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.ownsInvoker) {
      await this.invoker.close();
      await Promise.allSettled([...this.running]);
    }
  }

  /** Resolves once every message received so far has been evaluated and its actions (with retries) ended. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  ruleArn(ruleName: string): string {
    return `arn:aws:iot:${this.options.region}:${this.options.accountId}:rule/${ruleName}`;
  }

  /** Throws SqlSyntaxError, InvalidRuleError or RuleAlreadyExistsError; nothing is stored then. */
  async createRule(ruleName: string, payload: TopicRulePayload): Promise<StoredRule> {
    checkName(ruleName);
    if (this.rules.has(ruleName)) throw new RuleAlreadyExistsError(`Rule ${ruleName} already exists`);
    const compiled = compile({ ruleName, createdAt: this.options.clock.now(), payload });
    // Claimed before the write, so a concurrent create of the same name is refused.
    this.rules.set(ruleName, compiled);
    try {
      await this.store?.save(compiled.stored);
    } catch (error) {
      this.rules.delete(ruleName);
      throw error;
    }
    return compiled.stored;
  }

  async replaceRule(ruleName: string, payload: TopicRulePayload): Promise<StoredRule> {
    const existing = this.getRule(ruleName);
    const compiled = compile({ ruleName, createdAt: existing.createdAt, payload });
    await this.store?.save(compiled.stored);
    this.rules.set(ruleName, compiled);
    return compiled.stored;
  }

  getRule(ruleName: string): StoredRule {
    const rule = this.rules.get(ruleName);
    if (!rule) throw new RuleNotFoundError(`Rule ${ruleName} does not exist`);
    return rule.stored;
  }

  listRules(): StoredRule[] {
    return [...this.rules.values()]
      .map((rule) => rule.stored)
      .sort((a, b) => a.ruleName.localeCompare(b.ruleName));
  }

  async deleteRule(ruleName: string): Promise<void> {
    this.getRule(ruleName);
    await this.store?.delete(ruleName);
    this.rules.delete(ruleName);
  }

  /** The FROM filter of a rule, as ListTopicRules reports it (`topicPattern`). */
  topicPattern(ruleName: string): string {
    const rule = this.rules.get(ruleName);
    if (!rule) throw new RuleNotFoundError(`Rule ${ruleName} does not exist`);
    return rule.statement.topicFilter;
  }

  /** Runs every matching rule for one message. Never throws: failures become events and error actions. */
  async handle(message: BusMessage): Promise<void> {
    const sqlMessage: SqlMessage = {
      topic: message.topic,
      payload: message.payload,
      ...(message.clientId !== undefined ? { clientId: message.clientId } : {}),
      ...(message.principal !== undefined ? { principal: message.principal } : {}),
      timestamp: message.receivedAt,
      newUuid: randomUUID,
    };
    const work: Promise<void>[] = [];
    for (const rule of this.rules.values()) {
      if (rule.stored.payload.ruleDisabled) continue;
      if (!topicMatches(rule.statement.topicFilter, message.topic)) continue;
      let result: SqlResult | undefined;
      try {
        result = evaluateStatement(rule.statement, sqlMessage);
      } catch (error) {
        const text = error instanceof SqlEvaluationError ? error.message : String(error);
        this.emit({ type: 'sql-error', ruleName: rule.stored.ruleName, topic: message.topic, message: text });
        continue;
      }
      if (!result) continue;
      this.emit({ type: 'matched', ruleName: rule.stored.ruleName, topic: message.topic });
      for (const action of rule.stored.payload.actions) {
        work.push(this.runAction(rule, action, result, sqlMessage));
      }
    }
    await Promise.allSettled(work);
  }

  private async runAction(
    rule: CompiledRule,
    action: RuleAction,
    result: SqlResult,
    message: SqlMessage,
  ): Promise<void> {
    const failure = await this.execute(rule, action, result, message);
    if (!failure) return;
    this.emit({ type: 'action-failed', ruleName: rule.stored.ruleName, failure });
    const errorAction = rule.stored.payload.errorAction;
    if (!errorAction || this.closed) return;
    const errorMessage = {
      ruleName: rule.stored.ruleName,
      topic: message.topic,
      cloudwatchTraceId: randomUUID(),
      clientId: message.clientId ?? 'n/a',
      base64OriginalPayload: message.payload.toString('base64'),
      failures: [failure],
    };
    const errorResult: SqlResult = { kind: 'json', value: errorMessage };
    const second = await this.execute(rule, errorAction, errorResult, message);
    if (second) {
      this.emit({
        type: 'error-action-failed',
        ruleName: rule.stored.ruleName,
        message: second.errorMessage,
      });
    }
  }

  /** Runs one action; returns the failure in AWS's shape, or undefined on success. */
  private async execute(
    rule: CompiledRule,
    action: RuleAction,
    result: SqlResult,
    message: SqlMessage,
  ): Promise<ActionFailure | undefined> {
    if (action.lambda) {
      const functionArn = action.lambda.functionArn;
      if (result.kind !== 'json') {
        return {
          failedAction: 'LambdaAction',
          failedResource: functionArn,
          errorMessage: 'The Lambda action needs a JSON payload; encode binary payloads in the SQL',
        };
      }
      // The rule asks Lambda as iot.amazonaws.com with its own ARN: the function's resource-based
      // policy must allow that rule, or the Invoke call is refused and the error action runs.
      const outcome = await this.invoker.invoke(functionArn, result.value, {
        kind: 'service',
        service: 'iot.amazonaws.com',
        sourceArn: this.ruleArn(rule.stored.ruleName),
        sourceAccount: this.options.accountId,
      });
      // A delivery the stop interrupted is not a failure: Lambda's queue keeps it for the next start.
      if (outcome.ok || outcome.carried) return undefined;
      if (outcome.attempts === 0) {
        // Refused by Lambda's Invoke API itself: reported with the service's error, in the shape of
        // AWS's documented error action message (the error, then service, status and code).
        const error = outcome.error;
        const status = error.name === 'AccessDeniedException' ? 403 : 404;
        return {
          failedAction: 'LambdaAction',
          failedResource: functionArn,
          errorMessage: `Failed to invoke lambda function. The error received was ${error.message} (Service: AWSLambda; Status Code: ${status}; Error Code: ${error.name}; Request ID: ${randomUUID()})`,
        };
      }
      return {
        failedAction: 'LambdaAction',
        failedResource: functionArn,
        errorMessage: `Failed to invoke lambda function after ${outcome.attempts} attempt(s). ${outcome.error.name}: ${outcome.error.message}`,
      };
    }
    if (action.republish) {
      const template = rule.republishTopics.get(action);
      const topic = template ? renderTemplate(template, message) : action.republish.topic;
      const payload = result.kind === 'json' ? JSON.stringify(result.value) : result.payload;
      try {
        await this.options.bus.publish({ topic, payload, qos: action.republish.qos ?? 0 });
        return undefined;
      } catch (error) {
        return {
          failedAction: 'RepublishAction',
          failedResource: topic,
          errorMessage: `Failed to republish to topic ${topic}: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
    }
    return undefined;
  }

  private emit(event: RulesEngineEvent): void {
    this.options.onEvent?.(event);
  }
}

function checkName(ruleName: string): void {
  if (!RULE_NAME_PATTERN.test(ruleName)) {
    throw new InvalidRuleError(`Rule name '${ruleName}' must be 1 to 128 letters, digits or underscores`);
  }
}

/** Parses a rule's SQL and its substitution templates; throws SqlSyntaxError pointing at a mistake. */
function compile(stored: StoredRule): CompiledRule {
  const statement = parseSql(stored.payload.sql);
  const republishTopics = new Map<RuleAction, Template>();
  const actions = [
    ...stored.payload.actions,
    ...(stored.payload.errorAction ? [stored.payload.errorAction] : []),
  ];
  for (const action of actions) {
    if (!action.republish) continue;
    try {
      republishTopics.set(action, parseTemplate(action.republish.topic));
    } catch (error) {
      if (error instanceof SqlSyntaxError) {
        throw new InvalidRuleError(`republish topic '${action.republish.topic}': ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }
  return { stored, statement, republishTopics };
}
