import {
  EventBridgeClient,
  ListRulesCommand,
  PutEventsCommand,
  PutRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, ListTopicsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { LocalEventBridge } from '../../../local/events/eventbridge.ts';
import { LocalEventsServer } from '../../../local/events/events-server.ts';
import { LocalSns } from '../../../local/events/sns.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';
import { deniedMessage, type RecordingCheck, recordingCheck, rejectionOf } from './recording-check.ts';

/** The events server asking SNS's access check (awsQuery) and EventBridge's (awsJson1_1) before each operation. */
let sns: LocalSns;
let eventBridge: LocalEventBridge;
let server: LocalEventsServer;
let snsAccess: RecordingCheck;
let eventsAccess: RecordingCheck;
let endpoint: string;
let snsClient: SNSClient;
let events: EventBridgeClient;

beforeEach(async () => {
  const options = {
    functions: new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID),
    clock: new ManualClock(Date.UTC(2026, 0, 1)),
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
  };
  sns = new LocalSns(options);
  eventBridge = new LocalEventBridge(options);
  snsAccess = recordingCheck();
  eventsAccess = recordingCheck();
  server = new LocalEventsServer({
    sns,
    eventBridge,
    snsAccessCheck: snsAccess.check,
    eventsAccessCheck: eventsAccess.check,
  });
  endpoint = await server.start();
  const config = { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 };
  snsClient = new SNSClient(config);
  events = new EventBridgeClient(config);
});

afterEach(async () => {
  snsClient.destroy();
  events.destroy();
  await server.close();
  await sns.close();
  await eventBridge.close();
});

const topicArn = (name: string) => `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${name}`;

describe('SNS behind an access check', () => {
  it('answers a refused Publish with an awsQuery AuthorizationError the SDK parses, and publishes nothing', async () => {
    // Prepare
    const { TopicArn } = await snsClient.send(new CreateTopicCommand({ Name: 'findings' }));
    const failure = {
      code: 'AuthorizationError',
      status: 403,
      message: deniedMessage('SNS:Publish', topicArn('findings')),
    };
    snsAccess.refuse('Publish', failure);

    // Act
    const error = await rejectionOf(snsClient.send(new PublishCommand({ TopicArn, Message: 'hello' })));

    // Assess: the SDK names the modeled exception of the query code AuthorizationError.
    expect(error.name).toBe('AuthorizationErrorException');
    expect(error.message).toBe(failure.message);
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(403);
    const [call] = snsAccess.callsFor('Publish');
    expect(call?.input).toEqual({
      Action: 'Publish',
      Version: '2010-03-31',
      TopicArn: topicArn('findings'),
      Message: 'hello',
    });
    expect(call?.request).toMatchObject({ method: 'POST', rawPath: '/', rawQuery: '' });
    expect(sns.published()).toEqual([]);
    expect(eventsAccess.calls).toEqual([]);
  });

  it('answers a code the SDK has no exception for under that code', async () => {
    // Prepare
    const failure = snsAccess.refuseUnknownKey('CreateTopic', 'InvalidClientTokenId', 403);

    // Act
    const error = await rejectionOf(snsClient.send(new CreateTopicCommand({ Name: 'never' })));
    const listed = await snsClient.send(new ListTopicsCommand({}));

    // Assess
    expect(error.name).toBe('InvalidClientTokenId');
    expect(error.message).toBe(failure.message);
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(403);
    expect(listed.Topics ?? []).toEqual([]);
    expect(snsAccess.calls.map((call) => call.operation)).toEqual(['CreateTopic', 'ListTopics']);
  });

  it('refuses before the action validates its parameters (a missing topic is not NotFound)', async () => {
    // Prepare
    snsAccess.refuse('Publish', { code: 'AuthorizationError', status: 403, message: 'no' });

    // Act
    const error = await rejectionOf(
      snsClient.send(new PublishCommand({ TopicArn: topicArn('absent'), Message: 'x' })),
    );

    // Assess
    expect(error.name).toBe('AuthorizationErrorException');
  });
});

describe('EventBridge behind an access check', () => {
  it('answers a refused PutRule as EventBridge does, and creates no rule', async () => {
    // Prepare
    const failure = {
      code: 'AccessDeniedException',
      status: 400,
      message: deniedMessage(
        'events:PutRule',
        `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/audit`,
      ),
    };
    eventsAccess.refuse('PutRule', failure);
    const pattern = JSON.stringify({ source: ['aws.iot'] });

    // Act
    const error = await rejectionOf(
      events.send(new PutRuleCommand({ Name: 'audit', EventPattern: pattern })),
    );
    const listed = await events.send(new ListRulesCommand({}));

    // Assess
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe(failure.message);
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(400);
    expect(eventsAccess.callsFor('PutRule')[0]?.input).toEqual({ Name: 'audit', EventPattern: pattern });
    expect(eventsAccess.callsFor('PutRule')[0]?.request.headers['x-amz-target']).toBe('AWSEvents.PutRule');
    expect(listed.Rules).toEqual([]);
    expect(snsAccess.calls).toEqual([]);
  });

  it('lets the operations it does not refuse run', async () => {
    // Prepare
    eventsAccess.refuse('DeleteRule', { code: 'AccessDeniedException', status: 400, message: 'no' });

    // Act
    const put = await events.send(
      new PutEventsCommand({ Entries: [{ Source: 'recert', DetailType: 'x', Detail: '{}' }] }),
    );

    // Assess
    expect(put.FailedEntryCount).toBe(0);
    expect(eventBridge.events()).toHaveLength(1);
    expect(eventsAccess.calls.map((call) => call.operation)).toEqual(['PutEvents']);
  });
});
