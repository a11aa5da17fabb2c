import type { TableDefinition } from '../../../local/dynamodb/table-definition.ts';

/** The rotation table as recert created it before its byStatus index was sorted by statusSince. */
export const OLDER_ROTATION_TABLE: TableDefinition = {
  tableName: 'recert-rotations',
  partitionKey: { name: 'thingName', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: 'byStatus',
      partitionKey: { name: 'status', type: 'S' },
      sortKey: { name: 'updatedAt', type: 'S' },
      projection: 'ALL',
    },
  ],
  timeToLiveAttribute: 'expiresAt',
};
