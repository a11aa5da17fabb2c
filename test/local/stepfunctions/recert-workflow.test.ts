import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDefinition, TASK_FUNCTION_IDS } from '../../../workflows/rotate-device/render.ts';
import {
  createMachine,
  type Harness,
  history,
  parsed,
  start,
  startHarnessWithRotations,
  waitForEnd,
  waitForEvent,
} from './harness.ts';

// The engine is general, and recert's own state machine runs on it unchanged: the rendered
// asl/rotate-device.asl.json, with stand-in handlers playing the functions and the device.
describe('the recert rotate-device state machine on the local engine', () => {
  let h: Harness & { readonly ddb: DynamoDBClient };
  const tokens = new Map<string, string[]>();
  const calls: string[] = [];

  beforeAll(async () => {
    h = await startHarnessWithRotations();
    const keep = (id: string) => async (event: unknown) => {
      calls.push(id);
      if (
        typeof event === 'object' &&
        event !== null &&
        'taskToken' in event &&
        typeof event.taskToken === 'string'
      ) {
        tokens.set(id, [...(tokens.get(id) ?? []), event.taskToken]);
      }
      return {};
    };
    for (const id of TASK_FUNCTION_IDS) h.functions.register(id, keep(id));
  });
  afterAll(async () => {
    await h.close();
  });

  const machine = () =>
    createMachine(
      h,
      JSON.parse(
        renderDefinition({
          functionArns: Object.fromEntries(TASK_FUNCTION_IDS.map((id) => [id, h.functions.arnOf(id)])),
          tableName: 'rotations',
        }),
      ),
    );

  const tokenFor = async (exec: string, id: string, n: number): Promise<string> => {
    await waitForEvent(h, exec, (ev) => ev.filter((e) => e.type === 'TaskSubmitted').length >= n);
    const t = tokens.get(id)?.at(-1);
    if (!t) throw new Error(`no token for ${id}`);
    return t;
  };
  /** Answers the `n`th submitted task, the function `id`'s callback, with `output`. */
  const answer = async (exec: string, id: string, n: number, output: string): Promise<void> => {
    await h.sfn.send(new SendTaskSuccessCommand({ taskToken: await tokenFor(exec, id, n), output }));
  };

  it('rotates: claim, CSR, issue and deliver, a device error and a second attempt, retire', async () => {
    const exec = await start(h, await machine(), { thingName: 'dev-1', oldCertificateId: 'old-1' });
    await answer(exec, 'request-csr', 1, '{"csr":"PEM 1"}');
    await h.sfn.send(
      new SendTaskFailureCommand({
        taskToken: await tokenFor(exec, 'issue-certificate', 2),
        error: 'DeviceCertificateError',
        cause: 'TLS',
      }),
    );
    await answer(exec, 'request-csr', 3, '{"csr":"PEM 2"}');
    // What device-reply answers for a proven crt_ack.
    await answer(
      exec,
      'issue-certificate',
      4,
      '{"rotationId":"r-2","certificateId":"new-2","provenAt":"2026-06-01T12:00:00.000Z"}',
    );
    const done = await waitForEnd(h, exec);
    expect(done.status).toBe('SUCCEEDED');
    expect(parsed(done.output)).toMatchObject({
      thingName: 'dev-1',
      oldCertificateId: 'old-1',
      newCertificateId: 'new-2',
      status: 'SUCCEEDED',
    });
    expect(calls).toEqual([
      'request-csr',
      'issue-certificate',
      'revoke-certificate',
      'request-csr',
      'issue-certificate',
      'retire-certificate',
    ]);
    // Four states on the happy path, plus RevokeNewCertificate and the second RequestCsr and IssueAndDeliver.
    expect(h.local.engine.billedTransitions(exec)).toBe(7);
    const record = await h.ddb.send(
      new GetItemCommand({ TableName: 'rotations', Key: { thingName: { S: 'dev-1' } } }),
    );
    // The claim is the engine's own DynamoDB integration; completing the record is the real retire
    // function's last write (test/functions/revoke-and-retire.test.ts), which the stand-in does not play.
    expect(record.Item?.phase?.S).toBe('CLAIMED');
    expect(record.Item?.executionArn?.S).toBe(exec);
    const types = (await history(h, exec)).map((e) => e.type);
    expect(types.at(-1)).toBe('ExecutionSucceeded');
  });
});
