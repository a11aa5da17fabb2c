import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { namedError } from '../../lib/named-error.ts';
import type { InvokeCaller } from '../iam/types.ts';
import type { AsyncInvokeOutcome } from './async-invoke.ts';
import { type EventPattern, matchesPattern, parseEventPattern } from './event-pattern.ts';
import { readStateFile, writeJsonFile } from './json-file.ts';
import { LambdaDeliveries, type LambdaTargetServiceOptions } from './lambda-deliveries.ts';

export class EventBridgeNotFoundError extends namedError('EventBridgeNotFoundError') {}
export class EventBridgeValidationError extends namedError('EventBridgeValidationError') {}

export const DEFAULT_EVENT_BUS = 'default';

const TargetSchema = z.object({
  Id: z.string().regex(/^[.\-_A-Za-z0-9]{1,64}$/),
  Arn: z.string().min(1),
  Input: z.string().optional(),
});
export type EventTarget = z.infer<typeof TargetSchema>;

const RuleSchema = z.object({
  Name: z.string().regex(/^[.\-_A-Za-z0-9]{1,64}$/),
  EventBusName: z.string(),
  EventPattern: z.string(),
  State: z.enum(['ENABLED', 'DISABLED']),
  Description: z.string().optional(),
  Targets: z.array(TargetSchema),
});
export type EventRule = z.infer<typeof RuleSchema>;

const StateSchema = z.object({ rules: z.array(RuleSchema) });

/** An event as EventBridge delivers it to a target. */
export interface BridgeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

/** One PutEvents entry, as the API takes it. */
export interface PutEventsEntry {
  readonly Source?: string | undefined;
  readonly DetailType?: string | undefined;
  readonly Detail?: string | undefined;
  readonly Resources?: readonly string[] | undefined;
  readonly Time?: number | Date | undefined;
  readonly EventBusName?: string | undefined;
}

export type PutEventsResultEntry =
  | { readonly EventId: string }
  | { readonly ErrorCode: string; readonly ErrorMessage: string };

export interface EventDelivery {
  readonly ruleName: string;
  readonly targetId: string;
  readonly targetArn: string;
  readonly eventId: string;
  readonly outcome: AsyncInvokeOutcome;
}

/** Rules and targets persist in `<stateDir>/events/eventbridge.json`. */
export type LocalEventBridgeOptions = LambdaTargetServiceOptions;

/**
 * EventBridge in this process: rules with event patterns on named buses, Lambda targets invoked
 * asynchronously, and PutEvents; the local Step Functions engine emits its status changes here.
 */
export class LocalEventBridge {
  private rules: EventRule[] = [];
  private readonly patterns = new Map<EventRule, EventPattern>();
  private readonly deliveries: LambdaDeliveries<EventDelivery>;
  private readonly path: string | undefined;
  private readonly log: BridgeEvent[] = [];

  constructor(private readonly options: LocalEventBridgeOptions) {
    this.deliveries = new LambdaDeliveries(options);
    this.path = options.stateDir ? join(options.stateDir, 'events', 'eventbridge.json') : undefined;
  }

  async start(): Promise<void> {
    if (!this.path) return;
    const state = await readStateFile(this.path, StateSchema, 'EventBridge');
    if (state === undefined) return;
    this.rules = state.rules;
    for (const rule of this.rules) this.patterns.set(rule, parseEventPattern(rule.EventPattern));
  }

  async close(): Promise<void> {
    await this.deliveries.close();
  }

  idle(): Promise<void> {
    return this.deliveries.idle();
  }

  ruleArn(name: string, eventBusName = DEFAULT_EVENT_BUS): string {
    const prefix = `arn:aws:events:${this.options.region}:${this.options.accountId}:rule/`;
    return eventBusName === DEFAULT_EVENT_BUS ? `${prefix}${name}` : `${prefix}${eventBusName}/${name}`;
  }

  /** Creates or updates a rule; throws InvalidEventPatternError for a bad pattern. Keeps its targets. */
  async putRule(input: {
    Name: string;
    EventPattern: string;
    State?: 'ENABLED' | 'DISABLED';
    Description?: string;
    EventBusName?: string;
  }): Promise<string> {
    const pattern = parseEventPattern(input.EventPattern);
    const bus = input.EventBusName ?? DEFAULT_EVENT_BUS;
    const existing = this.find(input.Name, bus);
    const parsed = RuleSchema.safeParse({
      Name: input.Name,
      EventBusName: bus,
      EventPattern: input.EventPattern,
      State: input.State ?? 'ENABLED',
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      Targets: existing?.Targets ?? [],
    });
    if (!parsed.success)
      throw new EventBridgeValidationError(`Invalid rule: ${parsed.error.issues[0]?.message}`);
    this.rules = this.rules.filter((rule) => rule !== existing);
    if (existing) this.patterns.delete(existing);
    this.rules.push(parsed.data);
    this.patterns.set(parsed.data, pattern);
    await this.save();
    return this.ruleArn(input.Name, bus);
  }

  describeRule(name: string, eventBusName = DEFAULT_EVENT_BUS): EventRule {
    return this.require(name, eventBusName);
  }

  listRules(eventBusName = DEFAULT_EVENT_BUS, namePrefix = ''): EventRule[] {
    return this.rules
      .filter((rule) => rule.EventBusName === eventBusName && rule.Name.startsWith(namePrefix))
      .sort((a, b) => a.Name.localeCompare(b.Name));
  }

  async deleteRule(name: string, eventBusName = DEFAULT_EVENT_BUS): Promise<void> {
    const rule = this.find(name, eventBusName);
    if (!rule) return;
    if (rule.Targets.length > 0) {
      throw new EventBridgeValidationError(`Rule ${name} can't be deleted since it has targets.`);
    }
    this.rules = this.rules.filter((r) => r !== rule);
    this.patterns.delete(rule);
    await this.save();
  }

  /** Adds or replaces targets by Id. Only in-process Lambda functions can be targets locally. */
  async putTargets(
    ruleName: string,
    targets: readonly EventTarget[],
    eventBusName = DEFAULT_EVENT_BUS,
  ): Promise<{ TargetId: string; ErrorCode: string; ErrorMessage: string }[]> {
    const rule = this.require(ruleName, eventBusName);
    const failed: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
    for (const target of targets) {
      if (!target.Arn.startsWith('arn:aws:lambda:')) {
        failed.push({
          TargetId: target.Id,
          ErrorCode: 'ValidationException',
          ErrorMessage: `Target ${target.Arn} is not a Lambda function; only Lambda targets run locally`,
        });
        continue;
      }
      const kept = rule.Targets.filter((t) => t.Id !== target.Id);
      kept.push({
        Id: target.Id,
        Arn: target.Arn,
        ...(target.Input !== undefined ? { Input: target.Input } : {}),
      });
      rule.Targets = kept;
    }
    await this.save();
    return failed;
  }

  async removeTargets(
    ruleName: string,
    ids: readonly string[],
    eventBusName = DEFAULT_EVENT_BUS,
  ): Promise<void> {
    const rule = this.require(ruleName, eventBusName);
    rule.Targets = rule.Targets.filter((target) => !ids.includes(target.Id));
    await this.save();
  }

  /** Accepts events, routes each to the targets of every enabled matching rule, and returns their ids. */
  putEvents(entries: readonly PutEventsEntry[]): PutEventsResultEntry[] {
    return entries.map((entry) => {
      const problem = checkEntry(entry);
      if (problem) return problem;
      const detail: unknown = JSON.parse(entry.Detail ?? '{}');
      const time = entry.Time === undefined ? this.options.clock.now() : new Date(entry.Time).getTime();
      const event: BridgeEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType ?? '',
        source: entry.Source ?? '',
        account: this.options.accountId,
        // EventBridge reports event times to the second.
        time: new Date(Math.floor(time / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
        region: this.options.region,
        resources: [...(entry.Resources ?? [])],
        detail,
      };
      this.route(event, entry.EventBusName ?? DEFAULT_EVENT_BUS);
      return { EventId: event.id };
    });
  }

  /**
   * Routes an event that an AWS service emitted itself, with its id and time already set, such as
   * the Step Functions engine's execution status changes (`engine.onStatusChange(e => bridge.emit(e))`).
   */
  emit(event: BridgeEvent, eventBusName = DEFAULT_EVENT_BUS): void {
    this.route(event, eventBusName);
  }

  /** Every event accepted so far, oldest first. */
  events(): BridgeEvent[] {
    return [...this.log];
  }

  onDelivery(listener: (delivery: EventDelivery) => void): () => void {
    return this.deliveries.onDelivery(listener);
  }

  private route(event: BridgeEvent, eventBusName: string): void {
    this.log.push(event);
    for (const rule of this.rules) {
      if (rule.EventBusName !== eventBusName || rule.State !== 'ENABLED') continue;
      const pattern = this.patterns.get(rule);
      if (!pattern || !matchesPattern(pattern, event)) continue;
      // EventBridge asks Lambda as events.amazonaws.com for this rule; a refusal (403) is not one of
      // the errors it retries, so the event counts as a failed invocation.
      const caller: InvokeCaller = {
        kind: 'service',
        service: 'events.amazonaws.com',
        sourceArn: this.ruleArn(rule.Name, rule.EventBusName),
        sourceAccount: this.options.accountId,
      };
      for (const target of rule.Targets) {
        const input: unknown = target.Input !== undefined ? JSON.parse(target.Input) : event;
        this.deliveries.deliver(target.Arn, input, caller, (outcome) => ({
          ruleName: rule.Name,
          targetId: target.Id,
          targetArn: target.Arn,
          eventId: event.id,
          outcome,
        }));
      }
    }
  }

  private find(name: string, eventBusName: string): EventRule | undefined {
    return this.rules.find((rule) => rule.Name === name && rule.EventBusName === eventBusName);
  }

  private require(name: string, eventBusName: string): EventRule {
    const rule = this.find(name, eventBusName);
    if (!rule) throw new EventBridgeNotFoundError(`Rule ${name} does not exist on EventBus ${eventBusName}.`);
    return rule;
  }

  private async save(): Promise<void> {
    if (this.path) await writeJsonFile(this.path, { rules: this.rules });
  }
}

function checkEntry(entry: PutEventsEntry): PutEventsResultEntry | undefined {
  if (!entry.Source) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid.' };
  if (!entry.DetailType)
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid.' };
  if (entry.Detail === undefined) {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid.' };
  }
  try {
    const detail: unknown = JSON.parse(entry.Detail);
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not a JSON object.' };
    }
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}
