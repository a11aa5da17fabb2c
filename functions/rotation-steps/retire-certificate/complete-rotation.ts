import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsCall, isNamed } from '../../shared/aws-errors.ts';
import { updateDocument } from '../../shared/document-commands.ts';
import type { Fence } from '../../shared/rotation-record.ts';

export interface CompleteRotationParams {
  readonly fence: Fence;
  /** When the old certificate was retired (ms since the epoch): also the rotation's completion time. */
  readonly now: number;
  /** When a certificate kept for a grace period may be deleted (ms), if it was kept. */
  readonly deleteAfter?: number;
  /** How long the finished record stays before DynamoDB's TTL may delete it. */
  readonly retentionSeconds: number;
}

/**
 * The last write of a happy-path rotation, made by the retire step once the old certificate is
 * retired: the record ends SUCCEEDED / DONE (since now: the byStatus index moves it) with when it was retired (and, if kept, when it may be
 * deleted), and expires after the retention period. It is the execution's last state, so the
 * workflow needs no separate "complete" state (one billed transition and one write less per rotation).
 * Fenced by the execution and the rotationId: a superseded execution changes nothing.
 */
export class RotationCompletion {
  constructor(
    private readonly db: DynamoDBClient,
    readonly tableName: string,
  ) {}

  /** True when the record was this rotation's and now says SUCCEEDED; false when the fence failed. */
  async complete(p: CompleteRotationParams): Promise<boolean> {
    const at = new Date(p.now).toISOString();
    const values: Record<string, unknown> = {
      ':succeeded': 'SUCCEEDED',
      ':done': 'DONE',
      ':now': at,
      ':expires': Math.floor(p.now / 1000) + p.retentionSeconds,
      ':exec': p.fence.executionArn,
      ':rid': p.fence.rotationId,
    };
    const sets = [
      '#status = :succeeded',
      'statusSince = :now',
      '#phase = :done',
      'oldCertificateRetiredAt = :now',
      'completedAt = :now',
      'updatedAt = :now',
      'expiresAt = :expires',
    ];
    if (p.deleteAfter !== undefined) {
      sets.push('oldCertificateDeleteAfter = :deleteAfter');
      values[':deleteAfter'] = new Date(p.deleteAfter).toISOString();
    }
    try {
      await awsCall('complete the rotation', () =>
        this.db.send(
          updateDocument({
            TableName: this.tableName,
            Key: { thingName: p.fence.thingName },
            UpdateExpression: `SET ${sets.join(', ')} REMOVE taskToken, lastError`,
            ConditionExpression: 'executionArn = :exec AND rotationId = :rid',
            ExpressionAttributeNames: { '#status': 'status', '#phase': 'phase' },
            ExpressionAttributeValues: values,
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isNamed(error, 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }
}
