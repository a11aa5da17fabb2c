import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Clock } from '../../../lib/clock.ts';
import { ScaledClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../../local/stepfunctions/index.ts';
import type { Integrations } from '../../../local/stepfunctions/integrations.ts';

/** A local Step Functions on a temporary state directory, and an SDK client pointed at it. */
export interface Harness {
  readonly sfn: SFNClient;
  readonly local: LocalStepFunctions;
  readonly functions: FunctionRegistry;
  readonly stateDir: string;
  readonly clock: Clock;
  close(): Promise<void>;
}

export const ROLE = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/recert-test`;

/** A local Step Functions in the local account and region, with these functions to call. */
export const startEngine = (
  stateDir: string,
  clock: Clock,
  functions: FunctionRegistry,
  integrations?: Integrations,
): Promise<LocalStepFunctions> =>
  startLocalStepFunctions({
    stateDir,
    clock,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    functions,
    ...(integrations ? { integrations } : {}),
  });

export const startHarness = async (
  options: {
    clock?: Clock;
    stateDir?: string;
    integrations?: Integrations;
    functions?: FunctionRegistry;
  } = {},
): Promise<Harness> => {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'recert-sfn-'));
  const clock = options.clock ?? new ScaledClock(1);
  const functions = options.functions ?? new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
  const local = await startEngine(stateDir, clock, functions, options.integrations);
  const sfn = new SFNClient({
    endpoint: local.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  return {
    sfn,
    local,
    functions,
    stateDir,
    clock,
    close: async () => {
      sfn.destroy();
      await local.close();
      if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
};

/**
 * A harness whose DynamoDB integration reaches a local DynamoDB holding the `rotations` table, as
 * recert's rendered state machine needs; `ddb` reads that table, and close stops both.
 */
export const startHarnessWithRotations = async (
  options: { clock?: Clock } = {},
): Promise<Harness & { readonly ddb: DynamoDBClient }> => {
  const dynamo = new LocalDynamoDb();
  const ddb = new DynamoDBClient({
    endpoint: await dynamo.start(),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  await ddb.send(
    new CreateTableCommand({
      TableName: 'rotations',
      KeySchema: [{ AttributeName: 'thingName', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'thingName', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const h = await startHarness({ ...options, integrations: { dynamodb: ddb } });
  return {
    ...h,
    ddb,
    close: async () => {
      await h.close();
      ddb.destroy();
      await dynamo.close();
    },
  };
};

let machineCounter = 0;

export const createMachine = async (h: Harness, definition: object, name?: string): Promise<string> => {
  const out = await h.sfn.send(
    new CreateStateMachineCommand({
      name: name ?? `m${++machineCounter}-${Date.now()}`,
      definition: JSON.stringify(definition),
      roleArn: ROLE,
    }),
  );
  if (!out.stateMachineArn) throw new Error('no state machine ARN');
  return out.stateMachineArn;
};

export const start = async (
  h: Harness,
  machineArn: string,
  input: unknown = {},
  name?: string,
): Promise<string> => {
  const out = await h.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: machineArn,
      input: JSON.stringify(input),
      ...(name ? { name } : {}),
    }),
  );
  if (!out.executionArn) throw new Error('no execution ARN');
  return out.executionArn;
};

/** Polls until the execution leaves RUNNING (real time; the tests' waits are short). */
export const waitForEnd = async (
  h: Harness,
  executionArn: string,
  timeoutMs = 10_000,
): Promise<DescribeExecutionCommandOutput> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await h.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== 'RUNNING') return d;
    if (Date.now() > deadline) throw new Error(`execution still RUNNING after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** Polls until `predicate` holds on the history. */
export const waitForEvent = async (
  h: Harness,
  executionArn: string,
  predicate: (events: HistoryEvent[]) => boolean,
  timeoutMs = 10_000,
): Promise<HistoryEvent[]> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await history(h, executionArn);
    if (predicate(events)) return events;
    if (Date.now() > deadline) throw new Error(`history condition not met after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** Every event of an execution's history, page after page. */
export const history = async (h: Pick<Harness, 'sfn'>, executionArn: string): Promise<HistoryEvent[]> => {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await h.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
};

export const runMachine = async (
  h: Harness,
  definition: object,
  input: unknown = {},
): Promise<DescribeExecutionCommandOutput & { events: HistoryEvent[]; executionArn: string }> => {
  const arn = await createMachine(h, definition);
  const executionArn = await start(h, arn, input);
  const d = await waitForEnd(h, executionArn);
  return { ...d, executionArn, events: await history(h, executionArn) };
};

/** A machine of one Task state, `T`, that ends the execution; `more` adds states such as a Catch's target. */
export const oneTask = (fields: object, more: object = {}): object => ({
  StartAt: 'T',
  States: { T: { Type: 'Task', ...fields, End: true }, ...more },
});

/** The same machine in JSONata. */
export const oneJsonataTask = (fields: object, more: object = {}): object => ({
  QueryLanguage: 'JSONata',
  ...oneTask(fields, more),
});

/** A callback Task's fields: it invokes `functionName` with its task token as `tokenKey`, then waits. */
export const callbackTask = (functionName: string, tokenKey = 'token'): object => ({
  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
  Parameters: { FunctionName: functionName, Payload: { [`${tokenKey}.$`]: '$$.Task.Token' } },
});

export const parsed = (text: string | undefined): unknown =>
  text === undefined ? undefined : JSON.parse(text);
