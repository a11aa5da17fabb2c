import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsCall, isNamed } from '../../../workflows/rotate-device/aws-errors.ts';
import { CorruptRecordError, RotationRecord } from '../../../workflows/rotate-device/record.ts';
import {
  conditionExpression,
  failedRequirements,
  IN_PROGRESS,
  RESUMABLE,
  type RecordWrite,
  type WriteParams,
} from '../../../workflows/rotate-device/record-transitions.ts';
import type { RotationPhase, RotationStatus } from '../../../workflows/rotate-device/table.ts';
import { documentOf, updateDocument } from '../document-commands.ts';
import { ExpressionPlaceholders, type UpdateExpression } from '../update-expression.ts';

/** What the end of a rotation set, cleared when a redriven execution resumes it. */
const RESUME_REMOVE = ['completedAt', 'expiresAt', 'escalatedAt'] as const;

export interface WriteRequest {
  readonly thingName: string;
  readonly write: RecordWrite;
  /** The values the write's requirements compare with. */
  readonly params: WriteParams;
  /** What the write changes besides its phase and status (the table's `to` / `toStatus`). */
  readonly update: UpdateExpression;
  /** The time of the write, ISO-8601: statusSince when the status changes. */
  readonly now: string;
  /** A phase the caller names (setPhase); otherwise the table's. */
  readonly phase?: RotationPhase;
  /** The status, for a write whose table entry says 'given'. */
  readonly status?: RotationStatus;
  /** The record after the write (default) or before it. */
  readonly returnValues?: 'ALL_NEW' | 'ALL_OLD';
  readonly label: string;
}

/**
 * The write's result: the record it returned, or the refusal with the record as DynamoDB found it
 * (ReturnValuesOnConditionCheckFailure) and the requirements it did not meet. No read is needed to
 * tell why a write was refused.
 */
export type WriteOutcome =
  | { readonly written: true; readonly record: RotationRecord }
  | {
      readonly written: false;
      readonly record: RotationRecord | undefined;
      readonly failed: readonly string[];
    };

/** Makes the table's writes on the rotation table: one conditional UpdateItem each (two to resume). */
export class RecordWriter {
  constructor(
    private readonly db: DynamoDBClient,
    readonly tableName: string,
  ) {}

  async write(w: WriteRequest): Promise<WriteOutcome> {
    if (!w.write.resumes) return this.send(w, w.write.requires, false);
    // In progress first, touching neither status nor statusSince (the byStatus index stays as it is).
    const inProgress = await this.send(w, [...w.write.requires, IN_PROGRESS], false);
    if (inProgress.written || inProgress.failed.length !== 1 || inProgress.failed[0] !== IN_PROGRESS.name) {
      return inProgress;
    }
    // Only the status differs: a redriven execution's record, FAILED / TIMED_OUT / ABORTED.
    return this.send({ ...w, label: `${w.label} (resumed)` }, [...w.write.requires, RESUMABLE], true);
  }

  private async send(
    w: WriteRequest,
    requires: RecordWrite['requires'],
    resuming: boolean,
  ): Promise<WriteOutcome> {
    const p = new ExpressionPlaceholders();
    const update = w.update;
    const phase = w.phase ?? w.write.to;
    const status = resuming ? 'IN_PROGRESS' : w.write.toStatus === 'given' ? w.status : w.write.toStatus;
    const extra: [string, unknown][] = [];
    if (phase !== undefined) extra.push(['phase', phase]);
    if (status !== undefined) extra.push(['status', status], ['statusSince', w.now]);
    // The update expression is built fresh per send: the resumption adds to it.
    const text = withAdditions(update, extra, resuming ? RESUME_REMOVE : []).render(p);
    const condition = conditionExpression(requires, w.params, p);
    try {
      const out = await awsCall(w.label, () =>
        this.db.send(
          updateDocument({
            TableName: this.tableName,
            Key: { thingName: w.thingName },
            UpdateExpression: text,
            ConditionExpression: condition,
            ...p.attributes(),
            ReturnValues: w.returnValues ?? 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return { written: true, record: parsed(documentOf(out.Attributes), `${w.label} returned`) };
    } catch (error) {
      if (!isNamed(error, 'ConditionalCheckFailedException')) throw error;
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      const record = item === undefined ? undefined : parsed(documentOf(item), `${w.label} was refused by`);
      return { written: false, record, failed: failedRequirements(requires, record, w.params) };
    }
  }
}

function parsed(document: Record<string, unknown> | undefined, what: string): RotationRecord {
  const result = RotationRecord.safeParse(document);
  if (!result.success) throw new CorruptRecordError(`${what} a malformed record: ${result.error.message}`);
  return result.data;
}

/** A copy of `update` with the table's attributes set and `remove` removed. */
function withAdditions(
  update: UpdateExpression,
  sets: readonly [string, unknown][],
  remove: readonly string[],
): UpdateExpression {
  const copy = update.copy();
  for (const [attribute, value] of sets) copy.set(attribute, value);
  copy.remove(...remove);
  return copy;
}
