import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type CampaignCounters, campaignCountersOn } from './campaign-counters.ts';
import { RotationRecordStore } from './rotation-record.ts';

/** The rotation record's store and, where the deployment has a campaign table, the counters a rotation counts in. */
export function rotationStores(
  db: DynamoDBClient,
  tableName: string,
  campaignTableName: string | undefined,
): { store: RotationRecordStore; campaigns?: CampaignCounters } {
  return { store: new RotationRecordStore(db, tableName), ...campaignCountersOn(db, campaignTableName) };
}
