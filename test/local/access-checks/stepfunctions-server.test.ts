import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStateMachineCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { ScaledClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';
import { StepFunctionsEngine } from '../../../local/stepfunctions/engine.ts';
import { StepFunctionsServer } from '../../../local/stepfunctions/server.ts';
import { useStarted } from '../started.ts';
import { deniedMessage, recordingCheck, rejectionOf } from './recording-check.ts';

/** The Step Functions server (awsJson1_0) asking an access check before each AWS operation. */
const ROLE = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/recert-test`;
/** A Step Functions server behind a recording access check, its engine in a fresh state directory. */
async function startServer() {
  const stateDir = mkdtempSync(join(tmpdir(), 'recert-sfn-access-'));
  const engine = new StepFunctionsEngine({
    stateDir,
    clock: new ScaledClock(1),
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    functions: new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID),
  });
  await engine.open();
  const access = recordingCheck();
  const server = new StepFunctionsServer(engine, { accessCheck: access.check });
  const endpoint = `http://127.0.0.1:${await server.start({ port: 0 })}`;
  const sfn = new SFNClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  return {
    access,
    endpoint,
    sfn,
    async close() {
      sfn.destroy();
      await server.close();
      await engine.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const t = useStarted(startServer);

const createMachine = async (): Promise<string> => {
  const out = await t.sfn.send(
    new CreateStateMachineCommand({
      name: 'rotate',
      roleArn: ROLE,
      definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }),
    }),
  );
  return out.stateMachineArn ?? '';
};

describe('the Step Functions server with an access check', () => {
  it('answers a refused StartExecution as Step Functions does, and starts nothing', async () => {
    // Prepare
    const machine = await createMachine();
    const failure = {
      code: 'AccessDeniedException',
      status: 400,
      message: deniedMessage('states:StartExecution', machine),
    };
    t.access.refuse('StartExecution', failure);

    // Act
    const error = await rejectionOf(
      t.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'run-1', input: '{"a":1}' })),
    );

    // Assess
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe(failure.message);
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(400);
    const [call] = t.access.callsFor('StartExecution');
    expect(call?.input).toEqual({ stateMachineArn: machine, name: 'run-1', input: '{"a":1}' });
    expect(call?.request).toMatchObject({ method: 'POST', rawPath: '/', rawQuery: '' });
    expect(call?.request.headers['x-amz-target']).toBe('AWSStepFunctions.StartExecution');
    const listed = await t.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine }));
    expect(listed.executions).toEqual([]);
  });

  it('lets the operations it does not refuse run, asking with their bare names', async () => {
    // Prepare
    t.access.refuse('DeleteStateMachine', { code: 'AccessDeniedException', status: 400, message: 'denied' });

    // Act
    const machine = await createMachine();
    const started = await t.sfn.send(new StartExecutionCommand({ stateMachineArn: machine }));

    // Assess
    expect(started.executionArn).toMatch(/^arn:aws:states:/);
    expect(t.access.calls.map((call) => call.operation)).toEqual(['CreateStateMachine', 'StartExecution']);
  });

  it('refuses before the operation validates its input', async () => {
    // Prepare
    t.access.refuse('StartExecution', { code: 'AccessDeniedException', status: 400, message: 'no' });

    // Act
    const error = await rejectionOf(t.sfn.send(new StartExecutionCommand({ stateMachineArn: 'not-an-arn' })));

    // Assess
    expect(error.name).toBe('AccessDeniedException');
  });

  it('never asks about the local-only RecertLocal operations', async () => {
    // Prepare
    t.access.refuse('GetBilling', { code: 'AccessDeniedException', status: 400, message: 'no' });

    // Act
    const response = await fetch(t.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'RecertLocal.GetBilling' },
      body: '{}',
    });

    // Assess
    expect(response.status).toBe(200);
    expect(t.access.calls).toEqual([]);
  });
});
