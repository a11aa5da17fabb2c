import { randomUUID } from 'node:crypto';
import {
  type LocalSns,
  SnsInvalidParameterError,
  type SnsMessageAttribute,
  SnsNotFoundError,
} from './sns.ts';

/** An awsQuery reply: the HTTP status and the XML document. */
export interface QueryResponse {
  readonly status: number;
  readonly body: string;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const PAGE = 100;

class QueryError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/**
 * SNS's awsQuery protocol: a form POST naming an `Action`, XML replies, errors as `<ErrorResponse>` with
 * the query code (`NotFound`, `InvalidParameter`) the SDK turns into `NotFoundException`, ...
 */
export async function handleSnsQuery(sns: LocalSns, body: string): Promise<QueryResponse> {
  const params = new URLSearchParams(body);
  const action = params.get('Action') ?? '';
  try {
    return ok(action, await run(sns, action, params));
  } catch (error) {
    if (error instanceof QueryError) return fail(error.status, error.code, error.message);
    if (error instanceof SnsNotFoundError) return fail(404, 'NotFound', error.message);
    if (error instanceof SnsInvalidParameterError) return fail(400, 'InvalidParameter', error.message);
    return fail(500, 'InternalError', error instanceof Error ? error.message : String(error));
  }
}

async function run(sns: LocalSns, action: string, params: URLSearchParams): Promise<string> {
  switch (action) {
    case 'CreateTopic': {
      const arn = await sns.createTopic(
        required(params, 'Name'),
        entries(params, 'Attributes', 'key', 'value'),
      );
      return element('TopicArn', arn);
    }
    case 'DeleteTopic':
      await sns.deleteTopic(required(params, 'TopicArn'));
      return '';
    case 'ListTopics': {
      const { page, next } = paginate(sns.listTopics(), params.get('NextToken'));
      const members = page.map((arn) => `<member>${element('TopicArn', arn)}</member>`).join('');
      return `<Topics>${members}</Topics>${next ? element('NextToken', next) : ''}`;
    }
    case 'Subscribe': {
      const arn = await sns.subscribe(
        required(params, 'TopicArn'),
        required(params, 'Protocol'),
        required(params, 'Endpoint'),
      );
      return element('SubscriptionArn', arn);
    }
    case 'Unsubscribe':
      await sns.unsubscribe(required(params, 'SubscriptionArn'));
      return '';
    case 'ListSubscriptions':
    case 'ListSubscriptionsByTopic': {
      const topicArn = action === 'ListSubscriptionsByTopic' ? required(params, 'TopicArn') : undefined;
      const { page, next } = paginate(sns.listSubscriptions(topicArn), params.get('NextToken'));
      const members = page
        .map(
          (sub) =>
            `<member>${element('SubscriptionArn', sub.arn)}${element('Owner', sub.topicArn.split(':')[4] ?? '')}` +
            `${element('Protocol', sub.protocol)}${element('Endpoint', sub.endpoint)}${element('TopicArn', sub.topicArn)}</member>`,
        )
        .join('');
      return `<Subscriptions>${members}</Subscriptions>${next ? element('NextToken', next) : ''}`;
    }
    case 'Publish': {
      const topicArn = params.get('TopicArn') ?? params.get('TargetArn');
      if (!topicArn) {
        throw new QueryError(400, 'InvalidParameter', 'Invalid parameter: TopicArn or TargetArn is required');
      }
      const subject = params.get('Subject');
      const messageId = sns.publish({
        topicArn,
        message: required(params, 'Message'),
        ...(subject !== null ? { subject } : {}),
        messageAttributes: messageAttributes(params),
      });
      return element('MessageId', messageId);
    }
    default:
      throw new QueryError(
        400,
        'InvalidAction',
        `The action ${action || '(none)'} is not valid for this endpoint`,
      );
  }
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') {
    throw new QueryError(400, 'InvalidParameter', `Invalid parameter: ${name} is required`);
  }
  return value;
}

/** Reads an awsQuery map: `<prefix>.entry.N.<key>` / `<prefix>.entry.N.<value>`. */
function entries(
  params: URLSearchParams,
  prefix: string,
  keyName: string,
  valueName: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (let n = 1; ; n++) {
    const key = params.get(`${prefix}.entry.${n}.${keyName}`);
    if (key === null) return out;
    out[key] = params.get(`${prefix}.entry.${n}.${valueName}`) ?? '';
  }
}

function messageAttributes(params: URLSearchParams): Record<string, SnsMessageAttribute> {
  const out: Record<string, SnsMessageAttribute> = {};
  for (let n = 1; ; n++) {
    const prefix = `MessageAttributes.entry.${n}`;
    const name = params.get(`${prefix}.Name`);
    if (name === null) return out;
    const type = params.get(`${prefix}.Value.DataType`);
    if (!type)
      throw new QueryError(
        400,
        'InvalidParameter',
        `Invalid parameter: message attribute ${name} has no DataType`,
      );
    const value =
      params.get(`${prefix}.Value.StringValue`) ?? params.get(`${prefix}.Value.BinaryValue`) ?? '';
    out[name] = { Type: type, Value: value };
  }
}

function paginate<T>(items: readonly T[], token: string | null): { page: T[]; next?: string } {
  const start = token === null ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0) {
    throw new QueryError(400, 'InvalidParameter', `Invalid parameter: NextToken '${token}'`);
  }
  const page = items.slice(start, start + PAGE);
  return start + PAGE < items.length ? { page, next: String(start + PAGE) } : { page };
}

function ok(action: string, result: string): QueryResponse {
  const metadata = `<ResponseMetadata>${element('RequestId', randomUUID())}</ResponseMetadata>`;
  const body = `<?xml version="1.0"?>\n<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result>${metadata}</${action}Response>`;
  return { status: 200, body };
}

/** An awsQuery `<ErrorResponse>`: `Sender` below 500, `Receiver` from 500. */
export function fail(status: number, code: string, message: string): QueryResponse {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  const body =
    `<?xml version="1.0"?>\n<ErrorResponse xmlns="${XMLNS}"><Error>${element('Type', type)}${element('Code', code)}` +
    `${element('Message', message)}</Error>${element('RequestId', randomUUID())}</ErrorResponse>`;
  return { status, body };
}

function element(name: string, value: string): string {
  return `<${name}>${escapeXml(value)}</${name}>`;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
