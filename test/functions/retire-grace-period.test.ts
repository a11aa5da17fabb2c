import { DeleteCertificateCommand, IoTClient, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHandler as createRetireHandler } from '../../functions/rotation-steps/retire-certificate/handler.ts';
import { CampaignStore } from '../../functions/shared/campaign-store.ts';
import {
  deleteDocument,
  fromAttributeMap,
  queryDocuments,
} from '../../functions/shared/document-commands.ts';
import type { RotationRecord } from '../../functions/shared/rotation-record.ts';
import { RETIRED_PARTITION } from '../../workflows/campaign/table.ts';
import { createCampaignTable } from './dynalite.ts';
import { claimedRecord, clock, lambdaContext, useTable } from './harness.ts';
import { acceptRetirementCalls, certificateArn as arn } from './iot-fakes.ts';
import * as ids from './rotation-ids.ts';

const DAY = 86_400_000;
const CAMPAIGNS = 'campaigns-grace';
const table = useTable();
const iot = new IoTClient({ region: 'us-east-1' });
const iotMock = mockClient(iot);

beforeAll(async () => {
  // The campaign table, keyed as the contract says, in the same local DynamoDB.
  await createCampaignTable(table.db, CAMPAIGNS);
});
beforeEach(() => {
  acceptRetirementCalls(iotMock);
});

const proven = (o: Partial<RotationRecord> = {}) =>
  claimedRecord({
    phase: 'PROVEN',
    rotationId: ids.ROTATION_ID,
    newCertificateId: ids.NEW_CERT_ID,
    newCertificateArn: arn(ids.NEW_CERT_ID),
    newCertificateRotationId: ids.ROTATION_ID,
    provenCertificateId: ids.NEW_CERT_ID,
    provenAt: 'x',
    ...o,
  });
const retire = (graceDays: number, now: () => number = clock.now) =>
  createRetireHandler({
    db: table.db,
    tableName: table.tableName,
    campaignTableName: CAMPAIGNS,
    iot,
    clock: { now },
    logLevel: 'SILENT',
    graceDays,
  });
const event = (
  o: Partial<{ rotationId: string; oldCertificateId: string; newCertificateId: string }> = {},
) => ({
  thingName: ids.THING,
  executionArn: ids.EXECUTION_ARN,
  rotationId: ids.ROTATION_ID,
  oldCertificateId: ids.OLD_CERT_ID,
  newCertificateId: ids.NEW_CERT_ID,
  recordRetentionSeconds: 3_600,
  ...o,
});
const entries = async () =>
  (
    await table.db.send(
      queryDocuments({
        TableName: CAMPAIGNS,
        KeyConditionExpression: 'campaignId = :p',
        ExpressionAttributeValues: { ':p': RETIRED_PARTITION },
        ConsistentRead: true,
      }),
    )
  ).Items?.map(fromAttributeMap) ?? [];
const clearEntries = async () => {
  for (const item of await entries()) {
    await table.db.send(
      deleteDocument({ TableName: CAMPAIGNS, Key: { campaignId: item.campaignId, entry: item.entry } }),
    );
  }
};
const calls = (command: 'update' | 'delete') =>
  command === 'update'
    ? iotMock.commandCalls(UpdateCertificateCommand).map((c) => c.args[0].input.certificateId)
    : iotMock.commandCalls(DeleteCertificateCommand).map((c) => c.args[0].input.certificateId);

describe('retire-certificate with a grace period', () => {
  beforeEach(clearEntries);

  it('keeps the old certificate INACTIVE and records when the sweeper may delete it', async () => {
    // Prepare
    await table.put(proven());
    // Act
    await retire(7)(event(), lambdaContext('retire'));
    // Assess
    expect(calls('update')).toEqual([ids.OLD_CERT_ID]);
    expect(calls('delete')).toEqual([]);
    const deleteAfter = new Date(ids.NOW + 7 * DAY).toISOString();
    expect((await table.read(ids.THING))?.oldCertificateDeleteAfter).toBe(deleteAfter);
    expect(await entries()).toEqual([
      {
        campaignId: '#retired',
        entry: `${deleteAfter}#${ids.OLD_CERT_ID}`,
        thingName: ids.THING,
        certificateId: ids.OLD_CERT_ID,
        rotationId: ids.ROTATION_ID,
        deleteAfter,
        // TTL backstop: 90 days past the deadline.
        expiresAt: (ids.NOW + 7 * DAY) / 1000 + 90 * 86_400,
      },
    ]);
  });

  it('writes no second entry when the step runs again after it finished', async () => {
    // Prepare: the first try finished; the step runs again an hour later.
    await table.put(proven());
    await retire(7)(event(), lambdaContext('retire'));
    // Act
    await retire(7, () => ids.NOW + 3_600_000)(event(), lambdaContext('retire'));
    // Assess
    expect((await entries()).map((e) => e.entry)).toEqual([
      `${new Date(ids.NOW + 7 * DAY).toISOString()}#${ids.OLD_CERT_ID}`,
    ]);
  });

  it("keeps the first certificate's entry when the thing is rotated again within the grace period", async () => {
    // Prepare: the first rotation retired OLD; a second rotation (same thing) replaces NEW a day later.
    await table.put(proven());
    await retire(7)(event(), lambdaContext('retire'));
    const third = 'c'.repeat(64);
    await table.put(
      proven({
        rotationId: ids.NEXT_ROTATION_ID,
        oldCertificateId: ids.NEW_CERT_ID,
        newCertificateId: third,
        newCertificateArn: arn(third),
        newCertificateRotationId: ids.NEXT_ROTATION_ID,
        provenCertificateId: third,
        // What the first rotation left in the record and the next claim did not clear.
        oldCertificateDeleteAfter: new Date(ids.NOW + 7 * DAY).toISOString(),
      }),
    );
    // Act
    await retire(7, () => ids.NOW + DAY)(
      event({ rotationId: ids.NEXT_ROTATION_ID, oldCertificateId: ids.NEW_CERT_ID, newCertificateId: third }),
      lambdaContext('retire'),
    );
    // Assess: both certificates are due, each at its own deadline.
    expect((await entries()).map((e) => [e.certificateId, e.deleteAfter])).toEqual([
      [ids.OLD_CERT_ID, new Date(ids.NOW + 7 * DAY).toISOString()],
      [ids.NEW_CERT_ID, new Date(ids.NOW + 8 * DAY).toISOString()],
    ]);
  });

  it('writes no entry without a grace period (the certificate is deleted at once)', async () => {
    await table.put(proven());
    await retire(0)(event(), lambdaContext('retire'));
    expect(calls('delete')).toEqual([ids.OLD_CERT_ID]);
    expect(await entries()).toEqual([]);
  });

  it('refuses to be built with a grace period and no campaign table to record it in', () => {
    expect(() =>
      createRetireHandler({ db: table.db, tableName: table.tableName, iot, clock, graceDays: 3 }),
    ).toThrow(/CAMPAIGN_TABLE_NAME/);
  });
});

describe('retire-certificate counts the completed rotation in its campaign', () => {
  const PACING = {
    startsPerSecond: 5,
    maxInFlight: 10,
    failureRateThreshold: 0.1,
    minFinishedForFailureRate: 20,
  };

  it('as succeeded, once, even when Step Functions runs the finished step again', async () => {
    // Prepare
    const campaignId = 'audit-retire-count';
    const campaigns = new CampaignStore(table.db, CAMPAIGNS);
    await campaigns.createMeta({ campaignId, source: { kind: 'audit' }, pacing: PACING, now: ids.NOW });
    await table.put(proven({ campaign: campaignId }));
    // Act
    await retire(0)(event(), lambdaContext('retire'));
    await retire(0)(event(), lambdaContext('retire'));
    // Assess
    expect(await campaigns.getMeta(campaignId)).toMatchObject({ succeeded: 1, failed: 0 });
    expect((await table.read(ids.THING))?.status).toBe('SUCCEEDED');
  });

  it('counts nothing for a rotation started by hand', async () => {
    // Prepare
    const campaignId = 'audit-retire-untouched';
    const campaigns = new CampaignStore(table.db, CAMPAIGNS);
    await campaigns.createMeta({ campaignId, source: { kind: 'audit' }, pacing: PACING, now: ids.NOW });
    await table.put(proven({ campaign: 'manual' }));
    // Act
    await retire(0)(event(), lambdaContext('retire'));
    // Assess
    expect(await campaigns.getMeta(campaignId)).toMatchObject({ succeeded: 0, failed: 0 });
    expect((await table.read(ids.THING))?.status).toBe('SUCCEEDED');
  });
});
