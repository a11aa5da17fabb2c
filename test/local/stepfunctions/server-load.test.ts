import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { useStarted } from '../started.ts';
import { createMachine, startHarness } from './harness.ts';

// A bounded burst on loopback: valid calls interleaved with garbage; every valid call is answered
// correctly and the server stays up.
describe('the server under a burst of mixed requests', () => {
  const h = useStarted(() => startHarness(), 'all');

  it('answers 300 concurrent starts and 300 malformed requests without losing one', async () => {
    const arn = await createMachine(h, {
      StartAt: 'W',
      States: { W: { Type: 'Wait', Seconds: 3600, End: true } },
    });
    const raw = (body: string, target = 'AWSStepFunctions.StartExecution') =>
      fetch(h.local.endpoint, { method: 'POST', headers: { 'x-amz-target': target }, body }).then(
        (r) => r.status,
      );
    const starts = Array.from({ length: 300 }, (_, i) =>
      h.sfn.send(
        new StartExecutionCommand({ stateMachineArn: arn, name: `burst-${i}`, input: JSON.stringify({ i }) }),
      ),
    );
    const garbage = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0
        ? raw('{"stateMachineArn":')
        : i % 3 === 1
          ? raw('{}', 'AWSStepFunctions.Nope')
          : raw(JSON.stringify({ stateMachineArn: 'x' })),
    );
    const [started, statuses] = await Promise.all([Promise.all(starts), Promise.all(garbage)]);
    expect(new Set(started.map((s) => s.executionArn)).size).toBe(300);
    expect(statuses.every((s) => s === 400)).toBe(true);
    const one = await h.sfn.send(new DescribeExecutionCommand({ executionArn: started[123]?.executionArn }));
    expect([one.status, one.input]).toEqual(['RUNNING', '{"i":123}']);
  });
});
