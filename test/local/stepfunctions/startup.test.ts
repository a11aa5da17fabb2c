import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, describe, expect, it } from 'vitest';
import { ScaledClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';
import { StepFunctionsEngine } from '../../../local/stepfunctions/engine.ts';
import { StepFunctionsServer } from '../../../local/stepfunctions/server.ts';
import { ROLE } from './harness.ts';

describe('start-up order', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'recert-sfn-startup-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));
  const engineOn = () =>
    new StepFunctionsEngine({
      stateDir,
      clock: new ScaledClock(1),
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      functions: new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID),
    });

  it('a request served before the engine opened its state directory waits for it, and what it created is durable', async () => {
    const engine = engineOn();
    const server = new StepFunctionsServer(engine);
    const port = await server.start({ port: 0 });
    const sfn = new SFNClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    const created = sfn.send(
      new CreateStateMachineCommand({
        name: 'early',
        roleArn: ROLE,
        definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }),
      }),
    );
    await new Promise((r) => setTimeout(r, 50));
    await engine.open();
    const arn = (await created).stateMachineArn ?? '';
    sfn.destroy();
    await server.close();
    await engine.close();
    const reopened = engineOn();
    await reopened.open();
    expect(reopened.describeStateMachine({ stateMachineArn: arn }).name).toBe('early');
    await reopened.close();
  });

  it('refuses a start once the engine is closing, rather than half-writing an execution that never runs', async () => {
    // Prepare
    const engine = engineOn();
    await engine.open();
    const machine = engine.createStateMachine({
      name: 'closing',
      roleArn: ROLE,
      definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }),
    });
    const stateMachineArn = String(machine.stateMachineArn);
    await engine.close();

    // Act
    const start = engine.startExecution({ stateMachineArn, name: 'late' });

    // Assess: the caller hears a retryable 503, and the reopened engine has no such execution.
    await expect(start).rejects.toMatchObject({ type: 'ServiceUnavailable', httpStatus: 503 });
    const reopened = engineOn();
    await reopened.open();
    const listed = reopened.listExecutions({ stateMachineArn });
    expect(JSON.stringify(listed)).not.toContain('late');
    await reopened.close();
  });
});
