import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { CampaignStore } from '../../functions/shared/campaign-store.ts';
import { executionName } from '../../workflows/rotate-device/naming.ts';
import { eventually, rotationRecord } from '../e2e/helpers.ts';
import { untilUnchanged, useLocalFleet } from './helpers/local-fleet.ts';

const WRITE_OPERATIONS = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];

/** The DynamoDB writes served between two snapshots of the local DynamoDB's request counts, by operation. */
function writesBetween(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): Record<string, number> {
  const writes: Record<string, number> = {};
  for (const operation of WRITE_OPERATIONS) {
    const n = (after.get(operation) ?? 0) - (before.get(operation) ?? 0);
    if (n !== 0) writes[operation] = n;
  }
  return writes;
}

describe('the DynamoDB writes of one happy-path rotation of a campaign, counted by the local DynamoDB', () => {
  const aws = useLocalFleet();

  it('are the rotation record’s eight and two for the campaign (its X# item and the META counter)', async () => {
    // Prepare: one connected device and a campaign whose counters the rotation moves.
    const { local } = aws;
    const device = await aws.connectedDevice('writes', 10);
    const campaignId = 'audit-writes-1';
    const campaigns = new CampaignStore(local.clients.dynamodb, local.resources.campaignTableName);
    await campaigns.createMeta({
      campaignId,
      source: { kind: 'audit' },
      pacing: {
        startsPerSecond: 5,
        maxInFlight: 10,
        failureRateThreshold: 0.1,
        minFinishedForFailureRate: 20,
      },
      now: local.clock.now(),
    });
    await local.idle();
    const before = local.dynamodb.requestCounts();

    // Act: the campaign's pacer would start it this way.
    await local.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.resources.stateMachineArn,
        name: executionName(device.thingName, device.initialCertificateId),
        input: JSON.stringify({
          thingName: device.thingName,
          oldCertificateId: device.initialCertificateId,
          campaign: campaignId,
        }),
      }),
    );
    const record = await eventually('the rotation succeeded', async () => {
      const r = await rotationRecord(local, device.thingName);
      return r?.status === 'SUCCEEDED' ? r : undefined;
    });
    await eventually('the campaign counted it', async () => {
      const meta = await campaigns.getMeta(campaignId);
      return meta?.succeeded === 1 ? meta : undefined;
    });
    // Wait for late writes to show up in the counts.
    await local.idle();
    await untilUnchanged(() => JSON.stringify([...local.dynamodb.requestCounts()]));
    const writes = writesBetween(before, local.dynamodb.requestCounts());

    // Assess
    expect(record.newCertificateId).not.toBe(device.initialCertificateId);
    expect(await campaigns.getMeta(campaignId)).toMatchObject({ succeeded: 1, failed: 0, parked: 0 });
    // The record's eight: the claim, the CSR wait, the csr_res, the issuance marker, the certificate
    // (with its phase and policies), the crt_res wait, the crt_ack, and the retire step's completion.
    expect(writes).toEqual({ UpdateItem: 10 });
  });
});
