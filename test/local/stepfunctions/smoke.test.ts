import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, parsed, runMachine, startHarness } from './harness.ts';

describe('smoke', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('runs a pass chain', async () => {
    const r = await runMachine(
      h,
      {
        StartAt: 'A',
        States: {
          A: { Type: 'Pass', Result: { x: 1 }, ResultPath: '$.a', Next: 'B' },
          B: { Type: 'Succeed' },
        },
      },
      { in: 2 },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(parsed(r.output)).toEqual({ in: 2, a: { x: 1 } });
    expect(r.events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
  });
});
