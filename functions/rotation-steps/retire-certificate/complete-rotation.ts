import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RECORD_WRITES } from '../../../workflows/rotate-device/record-transitions.ts';
import { type Fence, RecordWriter } from '../../shared/rotation-record.ts';
import { UpdateExpression } from '../../shared/update-expression.ts';

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
  private readonly writer: RecordWriter;

  constructor(db: DynamoDBClient, tableName: string) {
    this.writer = new RecordWriter(db, tableName);
  }

  /** True when the record was this rotation's and now says SUCCEEDED; false when the fence failed. */
  async complete(p: CompleteRotationParams): Promise<boolean> {
    const at = new Date(p.now).toISOString();
    const update = new UpdateExpression()
      .set('oldCertificateRetiredAt', at)
      .set('completedAt', at)
      .set('updatedAt', at)
      .set('expiresAt', Math.floor(p.now / 1000) + p.retentionSeconds)
      .setAll({
        oldCertificateDeleteAfter:
          p.deleteAfter === undefined ? undefined : new Date(p.deleteAfter).toISOString(),
      })
      .remove('taskToken', 'lastError');
    const outcome = await this.writer.write({
      thingName: p.fence.thingName,
      write: RECORD_WRITES.complete,
      params: { executionArn: p.fence.executionArn, rotationId: p.fence.rotationId },
      update,
      now: at,
      label: 'complete the rotation',
    });
    return outcome.written;
  }
}
