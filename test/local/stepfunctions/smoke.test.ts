import { describe, expect, it } from 'vitest';
import { useStarted } from '../started.ts';
import { parsed, runMachine, startHarness } from './harness.ts';

describe('smoke', () => {
  const h = useStarted(() => startHarness(), 'all');

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
