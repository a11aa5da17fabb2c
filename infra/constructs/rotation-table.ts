import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { ROTATION_TABLE } from '../../workflows/rotate-device/contract.ts';

export const attributeType = (type: 'S' | 'N' | 'B'): dynamodb.AttributeType =>
  type === 'S'
    ? dynamodb.AttributeType.STRING
    : type === 'N'
      ? dynamodb.AttributeType.NUMBER
      : dynamodb.AttributeType.BINARY;

/**
 * The rotation table: the only record of rotations in flight (task tokens, issued certificate ids), so
 * retained, deletion-protected and with point-in-time recovery.
 */
export class RotationTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const index = ROTATION_TABLE.statusIndex;
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: {
        name: ROTATION_TABLE.partitionKey.name,
        type: attributeType(ROTATION_TABLE.partitionKey.type),
      },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: ROTATION_TABLE.ttlAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          indexName: index.name,
          partitionKey: { name: index.partitionKey.name, type: attributeType(index.partitionKey.type) },
          sortKey: { name: index.sortKey.name, type: attributeType(index.sortKey.type) },
          // Only what the CLI filters on: the index is written when a status changes, ~100 bytes.
          projectionType: dynamodb.ProjectionType.INCLUDE,
          nonKeyAttributes: [...index.projection.nonKeyAttributes],
        },
      ],
    });
  }
}
