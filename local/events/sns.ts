import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { namedError } from '../../lib/named-error.ts';
import type { InvokeCaller } from '../iam/types.ts';
import type { AsyncInvokeOutcome } from './async-invoke.ts';
import { readStateFile, writeJsonFile } from './json-file.ts';
import { LambdaDeliveries, type LambdaTargetServiceOptions } from './lambda-deliveries.ts';
import { PublishedJournal, publishedJournalPath } from './sns-journal.ts';

export class SnsNotFoundError extends namedError('SnsNotFoundError') {}
export class SnsInvalidParameterError extends namedError('SnsInvalidParameterError') {}

export interface SnsMessageAttribute {
  readonly Type: string;
  readonly Value: string;
}

/** One message as published, kept so tests and reports can see what went out on a topic. */
export interface SnsPublishedMessage {
  readonly topicArn: string;
  readonly messageId: string;
  readonly subject?: string;
  readonly message: string;
  readonly timestamp: string;
  readonly messageAttributes: Readonly<Record<string, SnsMessageAttribute>>;
}

export interface SnsDelivery {
  readonly subscriptionArn: string;
  readonly endpoint: string;
  readonly messageId: string;
  readonly outcome: AsyncInvokeOutcome;
}

const TopicName = /^[A-Za-z0-9_-]{1,256}$/;

const StateSchema = z.object({
  topics: z.array(z.object({ arn: z.string(), attributes: z.record(z.string(), z.string()) })),
  subscriptions: z.array(
    z.object({ arn: z.string(), topicArn: z.string(), protocol: z.literal('lambda'), endpoint: z.string() }),
  ),
});
type State = z.infer<typeof StateSchema>;
export type SnsSubscription = State['subscriptions'][number];

/** Topics and subscriptions persist in `<stateDir>/events/sns.json`. */
export interface LocalSnsOptions extends LambdaTargetServiceOptions {
  /** Base URL of the SNS endpoint, used in the UnsubscribeUrl of delivered events. */
  readonly endpointUrl?: string;
}

/**
 * SNS in this process: topics, subscriptions of in-process Lambda functions, and Publish, which
 * delivers the SNS Lambda event to every subscriber asynchronously (Lambda's async retries apply).
 */
export class LocalSns {
  private state: State = { topics: [], subscriptions: [] };
  private readonly deliveries: LambdaDeliveries<SnsDelivery>;
  private readonly path: string | undefined;
  private readonly log: SnsPublishedMessage[] = [];
  private readonly journal: PublishedJournal | undefined;

  constructor(private readonly options: LocalSnsOptions) {
    this.deliveries = new LambdaDeliveries(options);
    this.path = options.stateDir ? join(options.stateDir, 'events', 'sns.json') : undefined;
    this.journal = options.stateDir
      ? new PublishedJournal(publishedJournalPath(options.stateDir))
      : undefined;
  }

  async start(): Promise<void> {
    if (!this.path) return;
    this.state = (await readStateFile(this.path, StateSchema, 'SNS')) ?? this.state;
  }

  async close(): Promise<void> {
    await this.deliveries.close();
    await this.journal?.flushed();
  }

  /** Resolves when every delivery started so far has ended (including retries) and is journaled. */
  async idle(): Promise<void> {
    await this.deliveries.idle();
    await this.journal?.flushed();
  }

  topicArn(name: string): string {
    return `arn:aws:sns:${this.options.region}:${this.options.accountId}:${name}`;
  }

  /** Idempotent, as SNS's CreateTopic is: the same name gives the same ARN. */
  async createTopic(name: string, attributes: Record<string, string> = {}): Promise<string> {
    if (!TopicName.test(name)) {
      throw new SnsInvalidParameterError(
        'Invalid parameter: Topic Name must be 1 to 256 letters, digits, hyphens or underscores',
      );
    }
    const arn = this.topicArn(name);
    if (!this.state.topics.some((topic) => topic.arn === arn)) {
      this.state.topics.push({ arn, attributes });
      await this.save();
    }
    return arn;
  }

  async deleteTopic(topicArn: string): Promise<void> {
    this.state.topics = this.state.topics.filter((topic) => topic.arn !== topicArn);
    this.state.subscriptions = this.state.subscriptions.filter((sub) => sub.topicArn !== topicArn);
    await this.save();
  }

  listTopics(): string[] {
    return this.state.topics.map((topic) => topic.arn);
  }

  /** Subscribes a Lambda function (by ARN); subscribing the same endpoint twice returns the same ARN. */
  async subscribe(topicArn: string, protocol: string, endpoint: string): Promise<string> {
    this.requireTopic(topicArn);
    if (protocol !== 'lambda') {
      throw new SnsInvalidParameterError(
        `Invalid parameter: Protocol '${protocol}' is not supported locally; subscribe a Lambda function`,
      );
    }
    if (!/^arn:aws:lambda:[^:]+:[^:]+:function:[^:]+(:[^:]+)?$/.test(endpoint)) {
      throw new SnsInvalidParameterError(
        `Invalid parameter: Endpoint '${endpoint}' is not a Lambda function ARN`,
      );
    }
    const existing = this.state.subscriptions.find((s) => s.topicArn === topicArn && s.endpoint === endpoint);
    if (existing) return existing.arn;
    const arn = `${topicArn}:${randomUUID()}`;
    this.state.subscriptions.push({ arn, topicArn, protocol: 'lambda', endpoint });
    await this.save();
    return arn;
  }

  async unsubscribe(subscriptionArn: string): Promise<void> {
    this.state.subscriptions = this.state.subscriptions.filter((sub) => sub.arn !== subscriptionArn);
    await this.save();
  }

  listSubscriptions(topicArn?: string): SnsSubscription[] {
    if (topicArn !== undefined) this.requireTopic(topicArn);
    return this.state.subscriptions.filter((sub) => topicArn === undefined || sub.topicArn === topicArn);
  }

  /** Publishes and starts delivery to every subscriber; returns the message id at once, as SNS does. */
  publish(input: {
    topicArn: string;
    message: string;
    subject?: string;
    messageAttributes?: Record<string, SnsMessageAttribute>;
  }): string {
    this.requireTopic(input.topicArn);
    if (input.message.length === 0) throw new SnsInvalidParameterError('Invalid parameter: Empty message');
    if (Buffer.byteLength(input.message) > 262_144) {
      throw new SnsInvalidParameterError('Invalid parameter: Message too long (256 KiB at most)');
    }
    const record: SnsPublishedMessage = {
      topicArn: input.topicArn,
      messageId: randomUUID(),
      ...(input.subject !== undefined ? { subject: input.subject } : {}),
      message: input.message,
      timestamp: new Date(this.options.clock.now()).toISOString(),
      messageAttributes: input.messageAttributes ?? {},
    };
    this.log.push(record);
    this.journal?.append({
      topicArn: record.topicArn,
      messageId: record.messageId,
      ...(record.subject !== undefined ? { subject: record.subject } : {}),
      message: record.message,
      timestamp: record.timestamp,
    });
    // SNS asks Lambda as sns.amazonaws.com for this topic: the function's resource-based policy must
    // allow it. A refusal is a client-side error, which SNS does not retry (the message is dropped).
    const caller: InvokeCaller = {
      kind: 'service',
      service: 'sns.amazonaws.com',
      sourceArn: input.topicArn,
      sourceAccount: this.options.accountId,
    };
    for (const sub of this.state.subscriptions.filter((s) => s.topicArn === input.topicArn)) {
      this.deliveries.deliver(sub.endpoint, this.lambdaEvent(sub, record), caller, (outcome) => ({
        subscriptionArn: sub.arn,
        endpoint: sub.endpoint,
        messageId: record.messageId,
        outcome,
      }));
    }
    return record.messageId;
  }

  /** What was published, optionally on one topic, oldest first. */
  published(topicArn?: string): SnsPublishedMessage[] {
    return this.log.filter((record) => topicArn === undefined || record.topicArn === topicArn);
  }

  /** Called once per subscriber with how its delivery ended (after retries). */
  onDelivery(listener: (delivery: SnsDelivery) => void): () => void {
    return this.deliveries.onDelivery(listener);
  }

  /** The event Lambda receives from an SNS subscription. */
  private lambdaEvent(sub: SnsSubscription, record: SnsPublishedMessage): unknown {
    const base = this.options.endpointUrl ?? 'http://127.0.0.1';
    return {
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn: sub.arn,
          Sns: {
            Type: 'Notification',
            MessageId: record.messageId,
            TopicArn: record.topicArn,
            Subject: record.subject ?? null,
            Message: record.message,
            Timestamp: record.timestamp,
            SignatureVersion: '1',
            // Local messages are not signed; the field is present because handlers may read it.
            Signature: 'LOCAL',
            SigningCertUrl: `${base}/local-signing-cert.pem`,
            UnsubscribeUrl: `${base}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(sub.arn)}`,
            MessageAttributes: record.messageAttributes,
          },
        },
      ],
    };
  }

  private requireTopic(topicArn: string): void {
    if (!this.state.topics.some((topic) => topic.arn === topicArn)) {
      throw new SnsNotFoundError(`Topic does not exist: ${topicArn}`);
    }
  }

  private async save(): Promise<void> {
    if (this.path) await writeJsonFile(this.path, this.state);
  }
}
