import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { CAMPAIGN_TABLE } from '../../workflows/campaign/contract.ts';
import { attributeType } from './rotation-table.ts';

/**
 * The campaign table: per campaign its META item and start queue, the only record of rotations yet to
 * start, so retained, deletion-protected and with point-in-time recovery; finished campaigns expire by TTL.
 */
export class CampaignTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: {
        name: CAMPAIGN_TABLE.partitionKey.name,
        type: attributeType(CAMPAIGN_TABLE.partitionKey.type),
      },
      sortKey: { name: CAMPAIGN_TABLE.sortKey.name, type: attributeType(CAMPAIGN_TABLE.sortKey.type) },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: CAMPAIGN_TABLE.ttlAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
