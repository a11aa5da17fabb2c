import { describe, expect, it } from 'vitest';
import { usageOf } from '../../bench/fleet.ts';
import type { FleetSizeResult } from '../../bench/fleet-result.ts';
import { costOf } from '../../bench/prices.ts';
import { STATUS_INDEX_WRITES_PER_ROTATION } from '../../workflows/rotate-device/table.ts';

/** A measured fleet size, as the reference run of 1,000 devices gave it (rounded). */
function measured(perRotation: Partial<FleetSizeResult['perRotation']> = {}): FleetSizeResult {
  return {
    size: 1000,
    provisionMs: 1,
    connectMs: 1,
    wallMs: 37_500,
    rotationsPerSecond: 26.7,
    rotationMs: { p50: 1, p95: 1, executionP50: 1, deviceWaitP50: 1 },
    cpuMsPerRotation: { stack: 1, fleet: 1 },
    memory: { stackPeakRssBytes: 1, fleetPeakRssBytes: 1 },
    perRotation: {
      billedStateTransitions: 5,
      billedStateTransitionsMax: 5,
      lambdaInvocations: 7,
      lambdaMs: 100,
      dynamodbWrites: 10,
      dynamodbReads: 2,
      dynamodbMeanItemBytes: 2183,
      iotMessages: 4,
      iotPresenceConnects: 1,
      iotDeviceReplies: 2,
      iotApiCalls: {},
      logBytes: 0,
      ...perRotation,
    },
    lambdaInvocationsByFunction: {},
    lambdaMsByFunction: {},
    dynamodbRequests: {},
    fleet: { rotated: 1000, withoutWorkingCredentials: 0 },
  };
}

describe('DynamoDB write units of a rotation', () => {
  it('prices each write at the finished record rounded up per KB, the last with its task token, plus the index', () => {
    // Act
    const big = usageOf(measured());
    const small = usageOf(measured({ dynamodbMeanItemBytes: 700 }));
    const roomy = usageOf(measured({ dynamodbMeanItemBytes: 4000, dynamodbWrites: 8 }));
    // Assess: 2,183 B is 3 units, 3,207 B with a 1,024-character token 4: one more for the last write.
    expect(STATUS_INDEX_WRITES_PER_ROTATION).toBe(3);
    expect(big.dynamodbWriteUnits).toBe(10 * 3 + 1 + 3);
    // 700 B is 1 unit; with the token 2.
    expect(small.dynamodbWriteUnits).toBe(10 * 1 + 1 + 3);
    // 4,000 B is 4 units, and 5,024 B 5.
    expect(roomy.dynamodbWriteUnits).toBe(8 * 4 + 1 + 3);
    expect(big.dynamodbReadUnits).toBe(2);
  });

  it('puts the byStatus index in the cost per million rotations', () => {
    // Act
    const cost = costOf(usageOf(measured()));
    // Assess: 34 write units x $0.625 per million write request units.
    expect(cost.dynamodbWrites).toBe(21.25);
  });
});
