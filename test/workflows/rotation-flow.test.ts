import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  IoTClient,
  ListThingPrincipalsCommand,
} from '@aws-sdk/client-iot';
import { PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHandler as replyHandler } from '../../functions/event-triggered/device-reply/handler.ts';
import { createHandler as issueHandler } from '../../functions/rotation-steps/issue-certificate/handler.ts';
import { createHandler as requestHandler } from '../../functions/rotation-steps/request-csr/handler.ts';
import { createHandler as retireHandler } from '../../functions/rotation-steps/retire-certificate/handler.ts';
import { createHandler as revokeHandler } from '../../functions/rotation-steps/revoke-certificate/handler.ts';
import {
  FUNCTION_IDS,
  type FunctionId,
  RotationOutput,
  renderDefinition,
} from '../../workflows/rotate-device/contract.ts';
import { csrFixture } from '../functions/csr-fixtures.ts';
import { lambdaContext, startTable, type TableHarness } from '../functions/harness.ts';
import {
  acceptRetirementCalls,
  activeCertificate,
  certificateArn as arn,
  usePublishingIotData,
} from '../functions/iot-fakes.ts';
import { evaluateField } from './jsonata-states.ts';

/**
 * Drives the definition's states in order against the real handlers and a real local DynamoDB:
 * the ASL's own Arguments / Assign / Output (JSONata) and its DynamoDB expressions are exercised,
 * with AWS IoT and Step Functions' task API mocked. It checks that the contract holds together;
 * the local Step Functions engine runs the same definition end to end.
 */

const THING = 'sensor-0001';
const OLD_ID = 'a'.repeat(64);
const NEW_IDS = ['b'.repeat(64), 'c'.repeat(64)];
const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:recert-rotate-device:flow';

const Catcher = z.object({
  ErrorEquals: z.array(z.string()),
  Next: z.string(),
  Assign: z.record(z.string(), z.unknown()).optional(),
});
const State = z.object({
  Resource: z.string(),
  Arguments: z.unknown(),
  Assign: z.record(z.string(), z.unknown()).optional(),
  Output: z.unknown().optional(),
  Next: z.string().optional(),
  End: z.boolean().optional(),
  Catch: z.array(Catcher).optional(),
});
const Definition = z.object({ StartAt: z.string(), States: z.record(z.string(), State) });

let table: TableHarness;
let raw: DynamoDBClient;
const iot = new IoTClient({ region: 'us-east-1' });
const { iotData, iotDataMock } = usePublishingIotData();
const sfn = new SFNClient({ region: 'us-east-1' });
const iotMock = mockClient(iot);
const sfnMock = mockClient(sfn);
const clock = { now: () => Date.UTC(2026, 5, 1) };

beforeAll(async () => {
  table = await startTable();
  const config = await table.db.config.endpoint?.();
  raw = new DynamoDBClient({
    endpoint: `${config?.protocol}//${config?.hostname}:${config?.port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterAll(async () => {
  raw.destroy();
  await table.close();
});

let issued = 0;
beforeEach(() => {
  issued = 0;
  acceptRetirementCalls(iotMock);
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  sfnMock.on(SendTaskFailureCommand).resolves({});
  iotMock
    .on(DescribeCertificateCommand, { certificateId: OLD_ID })
    .resolves(activeCertificate(OLD_ID, csrFixture('old-certificate.pem')));
  iotMock.on(ListThingPrincipalsCommand).resolves({ principals: [arn(OLD_ID)] });
  iotMock.on(CreateCertificateFromCsrCommand).callsFake(() => {
    const id = NEW_IDS[issued++] ?? 'f'.repeat(64);
    return {
      certificateId: id,
      certificateArn: arn(id),
      certificatePem: `-----BEGIN CERTIFICATE-----\n${id}\n-----END CERTIFICATE-----`,
    };
  });
  iotMock.on(AttachPolicyCommand).resolves({});
  iotMock.on(AttachThingPrincipalCommand).resolves({});
});

type Handler = (event: unknown, context: Context) => Promise<unknown>;

function functions(): Record<string, Handler> {
  const common = { db: table.db, tableName: table.tableName, clock, logLevel: 'SILENT' as const };
  return {
    'request-csr': requestHandler({ ...common, iotData }),
    'issue-certificate': issueHandler({ ...common, iot, iotData }),
    'revoke-certificate': revokeHandler({ ...common, iot }),
    'retire-certificate': retireHandler({ ...common, iot }),
  };
}

const arnOf = (id: FunctionId) => `arn:aws:lambda:us-east-1:000000000000:function:recert-${id}`;

/** The last message published to the device on a topic kind. */
function lastPublished(kind: string): Record<string, unknown> {
  const calls = iotDataMock
    .commandCalls(PublishCommand)
    .filter((c) => c.args[0].input.topic?.endsWith(`/${kind}`));
  const payload = calls.at(-1)?.args[0].input.payload;
  return JSON.parse(Buffer.from(payload instanceof Uint8Array ? payload : new Uint8Array()).toString());
}

/** A device reply as the IoT rule delivers it. */
async function reply(kind: string, principal: string, body: Record<string, unknown>): Promise<unknown> {
  const handler = replyHandler({ db: table.db, tableName: table.tableName, sfn, clock, logLevel: 'SILENT' });
  return handler({ ...body, clientId: THING, principal, kind }, lambdaContext('device-reply'));
}

type TaskAnswer = { ok: true; output: unknown } | { ok: false; error: string; cause: string };
function lastTaskAnswer(token: string): TaskAnswer | undefined {
  const success = sfnMock
    .commandCalls(SendTaskSuccessCommand)
    .find((c) => c.args[0].input.taskToken === token);
  if (success) return { ok: true, output: JSON.parse(success.args[0].input.output ?? 'null') };
  const failure = sfnMock
    .commandCalls(SendTaskFailureCommand)
    .find((c) => c.args[0].input.taskToken === token);
  if (failure)
    return { ok: false, error: failure.args[0].input.error ?? '', cause: failure.args[0].input.cause ?? '' };
  return undefined;
}

/**
 * Runs the definition from StartAt. `device` plays the device whenever a callback task waits:
 * it gets the state name and answers through the device-reply function.
 */
async function runExecution(
  input: unknown,
  device: (state: string) => Promise<void>,
  executionArn = EXECUTION,
): Promise<{ path: string[]; output: unknown }> {
  const definition = Definition.parse(
    JSON.parse(
      renderDefinition({
        functionArns: Object.fromEntries(FUNCTION_IDS.map((id) => [id, arnOf(id)])),
        tableName: table.tableName,
      }),
    ),
  );
  const handlers = functions();
  const variables: Record<string, unknown> = {};
  const path: string[] = [];
  let name: string | undefined = definition.StartAt;
  let stateInput: unknown = input;
  let tokens = 0;
  while (name) {
    path.push(name);
    if (path.length > 40) throw new Error('too many transitions');
    const state: z.infer<typeof State> | undefined = definition.States[name];
    if (!state) throw new Error(`no state ${name}`);
    const token = `token-${++tokens}`;
    const context = {
      Execution: { Id: executionArn, RedriveCount: 0 },
      State: { EnteredTime: new Date(clock.now()).toISOString(), Name: name },
      Task: { Token: token },
    };
    const args = await evaluateField(state.Arguments, { input: stateInput, context }, variables);
    let result: unknown;
    let failure: { Error: string; Cause: string } | undefined;
    const parsedArgs = z.object({ FunctionName: z.string(), Payload: z.unknown() }).safeParse(args);
    if (state.Resource === 'arn:aws:states:::dynamodb:updateItem') {
      try {
        await raw.send(
          new UpdateItemCommand(z.custom<ConstructorParameters<typeof UpdateItemCommand>[0]>().parse(args)),
        );
        result = {};
      } catch (error) {
        if (!(error instanceof Error)) throw error;
        failure = { Error: `DynamoDB.${error.name}`, Cause: error.message };
      }
    } else if (parsedArgs.success) {
      const id = FUNCTION_IDS.find((f) => arnOf(f) === parsedArgs.data.FunctionName);
      const handler = id ? handlers[id] : undefined;
      if (!handler) throw new Error(`no handler for ${parsedArgs.data.FunctionName}`);
      try {
        const payload = await handler(parsedArgs.data.Payload, lambdaContext(id ?? 'fn'));
        if (state.Resource.endsWith('.waitForTaskToken')) {
          await device(name);
          const answer = lastTaskAnswer(token);
          if (!answer) throw new Error(`${name}: nobody answered the task`);
          if (answer.ok) result = answer.output;
          else failure = { Error: answer.error, Cause: answer.cause };
        } else {
          result = { Payload: payload, StatusCode: 200 };
        }
      } catch (error) {
        if (!(error instanceof Error)) throw error;
        failure = { Error: error.name, Cause: error.message };
      }
    } else {
      throw new Error(`unexpected resource ${state.Resource}`);
    }
    if (failure) {
      const error = failure.Error;
      const caught: z.infer<typeof Catcher> | undefined = state.Catch?.find((c) =>
        c.ErrorEquals.includes(error),
      );
      if (!caught)
        throw Object.assign(new Error(`execution failed at ${name}: ${failure.Error}`), {
          state: name,
          failure,
        });
      for (const [k, v] of Object.entries(caught.Assign ?? {})) {
        variables[k] = await evaluateField(
          v,
          { input: stateInput, context, errorOutput: failure },
          variables,
        );
      }
      stateInput = {};
      name = caught.Next;
      continue;
    }
    const assigned: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(state.Assign ?? {})) {
      assigned[k] = await evaluateField(v, { input: stateInput, context, result }, variables);
    }
    const output =
      state.Output === undefined
        ? result
        : await evaluateField(state.Output, { input: stateInput, context, result }, variables);
    Object.assign(variables, assigned);
    if (state.End) return { path, output };
    stateInput = output;
    name = state.Next;
  }
  throw new Error('the execution never ended');
}

/** A device that answers csr_req with a good CSR and proves the certificate it gets. */
async function cooperativeDevice(state: string): Promise<void> {
  if (state === 'RequestCsr') {
    const { rotationId } = lastPublished('csr_req');
    await reply('csr_res', OLD_ID, { rotationId, CSR: csrFixture('ok-ec-p256.csr.pem') });
  } else if (state === 'IssueAndDeliver') {
    const { rotationId, certificateId } = lastPublished('crt_res');
    await reply('crt_ack', String(certificateId), { rotationId });
  }
}

const executionInput = { thingName: THING, oldCertificateId: OLD_ID, campaign: 'audit-42' };

describe('rotation flow over the definition, the handlers and a local DynamoDB', () => {
  it('rotates a cooperative device in four states and leaves the record SUCCEEDED', async () => {
    // Act
    const { path, output } = await runExecution(executionInput, cooperativeDevice);
    // Assess
    expect(path).toEqual(['ClaimThing', 'RequestCsr', 'IssueAndDeliver', 'RetireOldCertificate']);
    expect(RotationOutput.parse(output)).toMatchObject({
      thingName: THING,
      oldCertificateId: OLD_ID,
      newCertificateId: NEW_IDS[0],
    });
    const record = await table.read(THING);
    expect(record).toMatchObject({
      status: 'SUCCEEDED',
      phase: 'DONE',
      newCertificateId: NEW_IDS[0],
      campaign: 'audit-42',
    });
    expect(record?.expiresAt).toBeGreaterThan(clock.now() / 1000);
    expect(iotMock.commandCalls(DeleteCertificateCommand).map((c) => c.args[0].input.certificateId)).toEqual([
      OLD_ID,
    ]);
  });

  it('on crt_err revokes the new certificate and asks again, telling the device why', async () => {
    let round = 0;
    const { path } = await runExecution(executionInput, async (state) => {
      if (state === 'RequestCsr') {
        const { rotationId } = lastPublished('csr_req');
        await reply('csr_res', OLD_ID, {
          rotationId,
          CSR: csrFixture(round === 0 ? 'ok-ec-p256.csr.pem' : 'ok-ec-p384.csr.pem'),
        });
      } else if (state === 'IssueAndDeliver') {
        const { rotationId, certificateId } = lastPublished('crt_res');
        if (round++ === 0) await reply('crt_err', OLD_ID, { rotationId, error: 'cannot reach endpoint' });
        else await reply('crt_ack', String(certificateId), { rotationId });
      }
    });
    expect(path).toEqual([
      'ClaimThing',
      'RequestCsr',
      'IssueAndDeliver',
      'RevokeNewCertificate',
      'RequestCsr',
      'IssueAndDeliver',
      'RetireOldCertificate',
    ]);
    expect(lastPublished('csr_req').previousError).toBe('DeviceCertificateError');
    const deleted = iotMock.commandCalls(DeleteCertificateCommand).map((c) => c.args[0].input.certificateId);
    expect(deleted).toEqual([NEW_IDS[0], OLD_ID]);
    expect(await table.read(THING)).toMatchObject({
      status: 'SUCCEEDED',
      newCertificateId: NEW_IDS[1],
      revokedCertificateIds: [NEW_IDS[0]],
    });
  });

  it('asks again after a rejected CSR, and fails at RequestCsr once the attempts are used up', async () => {
    const failure = await runExecution(executionInput, async (state) => {
      if (state === 'RequestCsr') {
        const { rotationId } = lastPublished('csr_req');
        await reply('csr_res', OLD_ID, { rotationId, CSR: csrFixture('bad-rsa-1024.csr.pem') });
      }
    }).catch((error: unknown) => error);
    expect(failure).toMatchObject({
      state: 'RequestCsr',
      failure: { Error: 'CertificateAttemptsExhausted' },
    });
    expect(lastPublished('csr_req').previousError).toBe('CsrKeyTooSmall');
    expect(iotMock.commandCalls(CreateCertificateFromCsrCommand)).toHaveLength(0);
  });

  it('refuses a second rotation of a thing whose rotation is in flight (invariant 6), until it ended', async () => {
    // Prepare: a first rotation waits for a CSR that never comes.
    const first = await runExecution(executionInput, async () => undefined).catch((error: unknown) => error);
    expect(first).toMatchObject({ state: 'RequestCsr' });
    const other = `${EXECUTION}-2`;
    // Act: a second execution for the same thing
    const second = await runExecution(executionInput, async () => undefined, other).catch(
      (error: unknown) => error,
    );
    // Assess
    expect(second).toMatchObject({
      state: 'ClaimThing',
      failure: { Error: 'DynamoDB.ConditionalCheckFailedException' },
    });
    expect((await table.read(THING))?.executionArn).toBe(EXECUTION);
    // Once the first is recorded as failed, the second may claim (its redrive resumes at ClaimThing).
    await table.store.recordOutcome({
      thingName: THING,
      executionArn: EXECUTION,
      status: 'FAILED',
      cause: 'test',
      now: clock.now(),
      retentionSeconds: 60,
    });
    const redriven = await runExecution(executionInput, cooperativeDevice, other);
    expect(redriven.path.at(-1)).toBe('RetireOldCertificate');
    expect(await table.read(THING)).toMatchObject({ status: 'SUCCEEDED', executionArn: other });
  });
});
