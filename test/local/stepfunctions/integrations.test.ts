import * as dynamoCommands from '@aws-sdk/client-dynamodb';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import * as sfnModule from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb.ts';
import type { SdkService } from '../../../local/stepfunctions/integrations.ts';
import { type Harness, parsed, runMachine, startHarness } from './harness.ts';

// The optimised integrations and aws-sdk calls, with the clients the caller configures.
describe('service integrations', () => {
  let h: Harness;
  let dynamo: LocalDynamoDb;
  let ddb: DynamoDBClient;
  const sns = new SNSClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const events = new EventBridgeClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const snsMock = mockClient(sns);
  const eventsMock = mockClient(events);
  let selfSfn: sfnModule.SFNClient | undefined;

  beforeAll(async () => {
    dynamo = new LocalDynamoDb();
    const endpoint = await dynamo.start();
    ddb = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    await ddb.send(
      new CreateTableCommand({
        TableName: 'rotations',
        KeySchema: [{ AttributeName: 'thing', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'thing', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    h = await startHarness({
      integrations: {
        dynamodb: ddb,
        sns,
        eventbridge: events,
        sdk: (service): SdkService | undefined => {
          if (service === 'dynamodb') return { client: ddb, commands: { ...dynamoCommands } };
          if (service === 'sfn' && selfSfn) return { client: selfSfn, commands: { ...sfnModule } };
          return undefined;
        },
      },
    });
    selfSfn = h.sfn;
  });
  afterAll(async () => {
    await h.close();
    ddb.destroy();
    await dynamo.close();
  });

  it('DynamoDB putItem with a condition, getItem, and the conditional failure named DynamoDB.ConditionalCheckFailedException', async () => {
    const claim = {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Parameters: {
        TableName: 'rotations',
        Item: { thing: { 'S.$': '$.thing' }, state: { S: 'CLAIMED' } },
        ConditionExpression: 'attribute_not_exists(thing)',
      },
      ResultPath: null,
    };
    const definition = {
      StartAt: 'Claim',
      States: {
        Claim: { ...claim, Next: 'Read' },
        Read: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:getItem',
          Parameters: { TableName: 'rotations', Key: { thing: { 'S.$': '$.thing' } } },
          ResultSelector: { 'state.$': '$.Item.state.S' },
          Next: 'ClaimAgain',
        },
        ClaimAgain: {
          ...claim,
          Parameters: { ...claim.Parameters, Item: { thing: { S: 'dev-1' }, state: { S: 'AGAIN' } } },
          Catch: [
            {
              ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'],
              ResultPath: '$.error',
              Next: 'Done',
            },
          ],
          End: true,
        },
        Done: { Type: 'Pass', End: true },
      },
    };
    const r = await runMachine(h, definition, { thing: 'dev-1' });
    expect(r.status).toBe('SUCCEEDED');
    const out = parsed(r.output);
    expect(out).toMatchObject({
      state: 'CLAIMED',
      error: { Error: 'DynamoDB.ConditionalCheckFailedException' },
    });
    const scheduled = r.events.find((e) => e.type === 'TaskScheduled')?.taskScheduledEventDetails;
    expect([scheduled?.resourceType, scheduled?.resource]).toEqual(['dynamodb', 'putItem']);
  });

  it('SNS publish and EventBridge putEvents send what the state machine built; a failed entry is EventBridge.FailedEntry', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    eventsMock
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] })
      .resolves({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'InternalFailure' }],
      });
    const put = {
      Type: 'Task',
      Resource: 'arn:aws:states:::events:putEvents',
      Parameters: { Entries: [{ Source: 'recert', DetailType: 'Rotation', 'Detail.$': '$.detail' }] },
    };
    const r = await runMachine(
      h,
      {
        StartAt: 'Escalate',
        States: {
          Escalate: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sns:publish',
            Parameters: {
              TopicArn: 'arn:aws:sns:us-east-1:000000000000:escalations',
              'Message.$': '$.message',
            },
            ResultSelector: { 'id.$': '$.MessageId' },
            ResultPath: '$.published',
            Next: 'Announce',
          },
          Announce: { ...put, ResultPath: '$.announced', Next: 'AnnounceAgain' },
          AnnounceAgain: { ...put, End: true },
        },
      },
      { message: 'rotation failed', detail: { thing: 'dev-2' } },
    );
    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input).toEqual({
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:escalations',
      Message: 'rotation failed',
    });
    expect(eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]).toMatchObject({
      Source: 'recert',
      Detail: { thing: 'dev-2' },
    });
    expect([r.status, r.error]).toEqual(['FAILED', 'EventBridge.FailedEntry']);
  });

  it('aws-sdk:<service>:<action> calls the configured client, with PascalCase parameters and results', async () => {
    const r = await runMachine(h, {
      StartAt: 'Self',
      States: {
        Self: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:sfn:describeExecution',
          Parameters: { 'ExecutionArn.$': '$$.Execution.Id' },
          ResultSelector: { 'status.$': '$.Status', 'name.$': '$.Name' },
          Next: 'Missing',
        },
        Missing: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:dynamodb:getItem',
          Parameters: { TableName: 'no-such-table', Key: { thing: { S: 'x' } } },
          Catch: [
            { ErrorEquals: ['DynamoDb.ResourceNotFoundException'], ResultPath: '$.missing', Next: 'Done' },
          ],
          End: true,
        },
        Done: { Type: 'Pass', End: true },
      },
    });
    expect(r.status).toBe('SUCCEEDED');
    expect(parsed(r.output)).toMatchObject({
      status: 'RUNNING',
      name: r.name,
      missing: { Error: 'DynamoDb.ResourceNotFoundException' },
    });
  });
});
