import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { META_ENTRY } from '../../workflows/campaign/table.ts';
import { CampaignId } from '../../workflows/campaign/types.ts';
import { awsCall, isNamed } from '../../workflows/rotate-device/aws-errors.ts';
import { documentOf, type UpdateDocumentInput, updateDocument } from './document-commands.ts';

/**
 * The campaign counters the rotations themselves move: `succeeded` / `failed` when a rotation ends,
 * `parked` while it waits for a device that did not answer its first CSR request. Each rotation has
 * one item of its own in the campaign table (`X#<execution name>`) that records what was counted
 * for it, so a redelivered event or a retried function counts nothing twice, and a redriven
 * rotation that failed and then succeeded moves its count from failed to succeeded. Rotations
 * started by hand (campaign `manual` or none) and campaigns without a META item are not counted.
 */

export const ROTATION_ENTRY_PREFIX = 'X#';
/** How long a rotation's counting item is kept (DynamoDB TTL), as long as execution names are unique. */
export const ROTATION_ENTRY_RETENTION_SECONDS = 90 * 86_400;

export type RotationOutcome = 'SUCCEEDED' | 'FAILED';
export interface CounterDeltas {
  succeeded?: number;
  failed?: number;
  parked?: number;
}

/** The campaign a rotation counts in, or undefined for one started by hand. */
export function countedCampaign(campaign: string | null | undefined): string | undefined {
  if (!campaign || campaign === 'manual') return undefined;
  return CampaignId.safeParse(campaign).success ? campaign : undefined;
}

const executionNameOf = (executionArn: string): string => executionArn.split(':').at(-1) ?? executionArn;
const iso = (ms: number): string => new Date(ms).toISOString();

/** What a rotation function counts in when its deployment has a campaign table: `{ campaigns }`, else nothing. */
export function campaignCountersOn(
  db: DynamoDBClient,
  campaignTableName: string | undefined,
): { campaigns?: CampaignCounters } {
  return campaignTableName ? { campaigns: new CampaignCounters(db, campaignTableName) } : {};
}

export class CampaignCounters {
  constructor(
    private readonly db: DynamoDBClient,
    readonly tableName: string,
  ) {}

  private rotationKey(campaignId: string, executionArn: string): { campaignId: string; entry: string } {
    return { campaignId, entry: `${ROTATION_ENTRY_PREFIX}${executionNameOf(executionArn)}` };
  }

  private async update(
    label: string,
    input: Omit<UpdateDocumentInput, 'TableName'>,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const out = await awsCall(label, () =>
        this.db.send(updateDocument({ TableName: this.tableName, ...input })),
      );
      return documentOf(out.Attributes) ?? {};
    } catch (error) {
      if (isNamed(error, 'ConditionalCheckFailedException')) return undefined;
      throw error;
    }
  }

  /** Adds to the META counters of an existing campaign; false when there is no such campaign. */
  async add(campaignId: string, deltas: CounterDeltas, now: number): Promise<boolean> {
    const entries = Object.entries(deltas).filter(([, n]) => n !== undefined && n !== 0);
    if (entries.length === 0) return true;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':now': iso(now) };
    const adds = entries.map(([counter, n], i) => {
      names[`#c${i}`] = counter;
      values[`:c${i}`] = n;
      return `#c${i} :c${i}`;
    });
    const done = await this.update('UpdateItem campaign counters', {
      Key: { campaignId, entry: META_ENTRY },
      UpdateExpression: `SET updatedAt = :now ADD ${adds.join(', ')}`,
      ConditionExpression: 'attribute_exists(campaignId)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    return done !== undefined;
  }

  /**
   * request-csr asked again after a timeout: the device is away. The rotation is parked, once: it
   * waits for its device and does not hold a slot of the campaign's in-flight ceiling. A first
   * request writes nothing here (request-csr tells the two apart from the rotation record), so the
   * happy path spends no campaign write before its outcome. False when it was parked already or
   * has ended.
   */
  async park(p: { campaign: string; executionArn: string; now: number }): Promise<boolean> {
    const key = this.rotationKey(p.campaign, p.executionArn);
    const parked = await this.update('UpdateItem campaign rotation parked', {
      Key: key,
      UpdateExpression: 'SET parkedAt = :now, expiresAt = if_not_exists(expiresAt, :expires)',
      ConditionExpression: 'attribute_not_exists(parkedAt) AND attribute_not_exists(outcome)',
      ExpressionAttributeValues: {
        ':now': iso(p.now),
        ':expires': Math.floor(p.now / 1000) + ROTATION_ENTRY_RETENTION_SECONDS,
      },
    });
    if (!parked) return false;
    // Not counted: take the mark back, so the next timeout parks it and no unpark counts -1.
    await this.countOrUndo(p.campaign, { parked: 1 }, p.now, () =>
      this.update('UpdateItem campaign rotation parked undone', {
        Key: key,
        UpdateExpression: 'REMOVE parkedAt',
        ConditionExpression: 'attribute_exists(parkedAt) AND attribute_not_exists(outcome)',
      }),
    );
    return true;
  }

  /** The device answered: a parked rotation is active again. False when it was not parked. */
  async unpark(p: { campaign: string; executionArn: string; now: number }): Promise<boolean> {
    const key = this.rotationKey(p.campaign, p.executionArn);
    const old = await this.update('UpdateItem campaign rotation unparked', {
      Key: key,
      UpdateExpression: 'REMOVE parkedAt',
      ConditionExpression: 'attribute_exists(parkedAt)',
      ReturnValues: 'ALL_OLD',
    });
    if (!old) return false;
    // Not counted: put the mark back, so the outcome (or a later reply) frees the count once.
    await this.countOrUndo(p.campaign, { parked: -1 }, p.now, () =>
      this.update('UpdateItem campaign rotation unparked undone', {
        Key: key,
        UpdateExpression: 'SET parkedAt = :parkedAt',
        ConditionExpression: 'attribute_not_exists(parkedAt) AND attribute_not_exists(outcome)',
        ExpressionAttributeValues: { ':parkedAt': old.parkedAt ?? iso(p.now) },
      }),
    );
    return true;
  }

  /**
   * A rotation ended: counted once per outcome. A redelivered event finds it counted; a redriven
   * rotation that ends otherwise moves its count; a parked one frees its parked count.
   */
  async recordOutcome(p: {
    campaign: string;
    executionArn: string;
    outcome: RotationOutcome;
    now: number;
  }): Promise<CounterDeltas | undefined> {
    const key = this.rotationKey(p.campaign, p.executionArn);
    const old = await this.update('UpdateItem campaign rotation outcome', {
      Key: key,
      UpdateExpression: 'SET outcome = :outcome, expiresAt = :expires REMOVE parkedAt',
      ConditionExpression: 'attribute_not_exists(outcome) OR outcome <> :outcome',
      ExpressionAttributeValues: {
        ':outcome': p.outcome,
        ':expires': Math.floor(p.now / 1000) + ROTATION_ENTRY_RETENTION_SECONDS,
      },
      ReturnValues: 'ALL_OLD',
    });
    if (!old) return undefined;
    const deltas: CounterDeltas = p.outcome === 'SUCCEEDED' ? { succeeded: 1 } : { failed: 1 };
    if (old.outcome === 'SUCCEEDED') deltas.succeeded = -1;
    if (old.outcome === 'FAILED') deltas.failed = -1;
    if (old.parkedAt !== undefined) deltas.parked = -1;
    // Not counted: put the item back as it was, so the retried event counts what this one could not.
    await this.countOrUndo(p.campaign, deltas, p.now, () =>
      this.update('UpdateItem campaign rotation outcome undone', {
        Key: key,
        UpdateExpression:
          old.outcome === undefined
            ? `REMOVE outcome${old.parkedAt === undefined ? '' : ' SET parkedAt = :parkedAt'}`
            : `SET outcome = :old${old.parkedAt === undefined ? '' : ', parkedAt = :parkedAt'}`,
        ...(old.outcome === undefined && old.parkedAt === undefined
          ? {}
          : {
              ExpressionAttributeValues: {
                ...(old.outcome === undefined ? {} : { ':old': old.outcome }),
                ...(old.parkedAt === undefined ? {} : { ':parkedAt': old.parkedAt }),
              },
            }),
      }),
    );
    return deltas;
  }

  /** Moves the campaign's counters; when that fails, undoes the rotation item's mark (best effort) and throws. */
  private async countOrUndo(
    campaign: string,
    deltas: CounterDeltas,
    now: number,
    undo: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await this.add(campaign, deltas, now);
    } catch (error) {
      await undo().catch(() => undefined);
      throw error;
    }
  }
}
