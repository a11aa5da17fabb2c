import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CampaignCounters } from '../../functions/shared/campaign-counters.ts';
import { toAttributeMap } from '../../functions/shared/document-commands.ts';
import { readableUpdate } from './expression-text.ts';
import { plainInput } from './harness.ts';
import { EXECUTION_ARN, NOW } from './rotation-ids.ts';

/**
 * When a rotation's item is marked but the campaign's META counters cannot be moved, the mark is
 * taken back and the error goes up, so that the retry counts what this attempt could not.
 */

const db = new DynamoDBClient({ region: 'us-east-1' });
const dbMock = mockClient(db);
const counters = new CampaignCounters(db, 'campaigns');
const CAMPAIGN = 'audit-1';
const PARKED_AT = '2026-05-31T12:00:00.000Z';

/** The rotation item's writes succeed (returning `item`); the META counters' update (its ADD) fails. */
function countingFails(item: Record<string, unknown>): void {
  dbMock.on(UpdateItemCommand).callsFake((input: Record<string, unknown>) => {
    if (readableUpdate(plainInput(input)).update.includes(' ADD ')) {
      throw Object.assign(new Error('We currently do not have sufficient capacity'), {
        name: 'InternalServerError',
        $metadata: { httpStatusCode: 500 },
      });
    }
    return { Attributes: toAttributeMap(item) };
  });
}

/** Each UpdateItem's update expression, placeholders filled in, in the order sent. */
const updatesSent = () =>
  dbMock.commandCalls(UpdateItemCommand).map((c) => readableUpdate(plainInput(c.args[0].input)).update);

beforeEach(() => {
  dbMock.reset();
});

describe('campaign counters: a count that fails takes its mark back', () => {
  it('park: the parked mark is removed again', async () => {
    // Prepare
    countingFails({});
    // Act
    const parking = counters.park({ campaign: CAMPAIGN, executionArn: EXECUTION_ARN, now: NOW });
    // Assess
    await expect(parking).rejects.toThrow();
    const [mark, count, undo] = updatesSent();
    expect(mark).toContain('SET parkedAt = ');
    expect(count).toContain('ADD parked 1');
    expect(undo).toBe('REMOVE parkedAt');
  });

  it('unpark: the parked mark is put back as it was', async () => {
    // Prepare
    countingFails({ parkedAt: PARKED_AT });
    // Act
    const unparking = counters.unpark({ campaign: CAMPAIGN, executionArn: EXECUTION_ARN, now: NOW });
    // Assess
    await expect(unparking).rejects.toThrow();
    const [mark, count, undo] = updatesSent();
    expect(mark).toBe('REMOVE parkedAt');
    expect(count).toContain('ADD parked -1');
    expect(undo).toBe(`SET parkedAt = "${PARKED_AT}"`);
  });

  it('an outcome: the item gets its earlier outcome and parked mark back', async () => {
    // Prepare: the rotation had failed and was parked; it has now succeeded.
    countingFails({ outcome: 'FAILED', parkedAt: PARKED_AT });
    // Act
    const recording = counters.recordOutcome({
      campaign: CAMPAIGN,
      executionArn: EXECUTION_ARN,
      outcome: 'SUCCEEDED',
      now: NOW,
    });
    // Assess
    await expect(recording).rejects.toThrow();
    const [, count, undo] = updatesSent();
    expect(count).toContain('ADD succeeded 1, failed -1, parked -1');
    expect(undo).toBe(`SET outcome = "FAILED", parkedAt = "${PARKED_AT}"`);
  });
});
