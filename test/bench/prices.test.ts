import { describe, expect, it } from 'vitest';
import { costOf, PRICES, type RotationUsage } from '../../bench/prices.ts';

const NOTHING: RotationUsage = {
  stateTransitions: 0,
  lambdaInvocations: 0,
  lambdaSeconds: 0,
  lambdaMemoryMb: 256,
  dynamodbWriteUnits: 0,
  dynamodbReadUnits: 0,
  iotMessages: 0,
  iotConnectionMinutes: 0,
  iotRulesTriggered: 0,
  iotRuleActions: 0,
  iotRegistryOperations: 0,
  logBytes: 0,
};

describe('AWS cost of rotations', () => {
  it('prices a million rotations by service line from the published unit prices', () => {
    // Prepare: a rotation of 10 transitions, 8 invocations of 50 ms at 256 MB, 10 writes, 6 reads,
    // 8 messages, 1 connection-minute, 3 rules with one action each, 3 registry operations, 4 KiB of logs.
    const usage: RotationUsage = {
      ...NOTHING,
      stateTransitions: 10,
      lambdaInvocations: 8,
      lambdaSeconds: 0.4,
      dynamodbWriteUnits: 10,
      dynamodbReadUnits: 6,
      iotMessages: 8,
      iotConnectionMinutes: 1,
      iotRulesTriggered: 3,
      iotRuleActions: 3,
      iotRegistryOperations: 3,
      logBytes: 4096,
    };
    // Act
    const cost = costOf(usage);
    // Assess: worked by hand from the price table ($ per 1,000,000 rotations).
    expect(cost.stepFunctions).toBe(250); // 10 x $0.025/1000 x 1e6
    expect(cost.lambdaRequests).toBe(1.6); // 8 x $0.20/1e6 x 1e6
    expect(cost.lambdaDuration).toBe(1.33); // 0.4 s x 0.25 GB x $0.0000133334 x 1e6
    expect(cost.dynamodbWrites).toBe(6.25);
    expect(cost.dynamodbReads).toBe(0.75);
    expect(cost.iotMessaging).toBe(8);
    expect(cost.iotConnectivity).toBe(0.08);
    expect(cost.iotRules).toBe(0.9);
    expect(cost.iotRegistry).toBe(3.75);
    expect(cost.cloudWatchLogs).toBe(1.91); // 4096 B x 1e6 = 3.81 GiB x $0.50
    expect(cost.total).toBe(274.57);
  });

  it('scales linearly with the number of rotations', () => {
    const usage = { ...NOTHING, stateTransitions: 12 };
    expect(costOf(usage, 1_000).stepFunctions).toBe(0.3);
    expect(costOf(usage, 10_000_000).total).toBe(3000);
  });

  it('cites a source page for every price', () => {
    for (const entry of Object.values(PRICES)) {
      expect(entry.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(entry.usd).toBeGreaterThan(0);
    }
  });

  it('refuses usage that is not a finite non-negative number, naming it', () => {
    expect(() => costOf({ ...NOTHING, dynamodbWriteUnits: -1 })).toThrow(/dynamodbWriteUnits/);
    expect(() => costOf({ ...NOTHING, lambdaSeconds: Number.POSITIVE_INFINITY })).toThrow(/lambdaSeconds/);
    expect(() => costOf(NOTHING, 1.5)).toThrow(/rotations/);
  });
});
