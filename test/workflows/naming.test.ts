import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXECUTION_NAME_PATTERN, executionName } from '../../workflows/rotate-device/naming.ts';

const thingName = fc.stringMatching(/^[a-zA-Z0-9:_-]{1,128}$/);
const certificateId = fc.stringMatching(/^[0-9a-f]{64}$/);

describe('execution names', () => {
  it('are valid Step Functions names for every thing name and certificate', () => {
    fc.assert(
      fc.property(thingName, certificateId, (thing, cert) => {
        expect(executionName(thing, cert)).toMatch(EXECUTION_NAME_PATTERN);
      }),
    );
  });

  it('are the same for the same pair and differ for different pairs', () => {
    fc.assert(
      fc.property(thingName, thingName, certificateId, certificateId, (t1, t2, c1, c2) => {
        expect(executionName(t1, c1)).toBe(executionName(t1, c1));
        if (t1 !== t2 || c1 !== c2) expect(executionName(t1, c1)).not.toBe(executionName(t2, c2));
      }),
    );
  });

  it('keep the thing name readable (known answer)', () => {
    expect(executionName('sensor-1', 'a'.repeat(64))).toMatch(/^sensor-1-[0-9a-f]{24}$/);
    expect(executionName('plant:line-4', 'a'.repeat(64))).toMatch(/^plant_line-4-[0-9a-f]{24}$/);
  });
});
