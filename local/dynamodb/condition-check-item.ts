/**
 * `ReturnValuesOnConditionCheckFailure` for dynalite's PutItem, UpdateItem and DeleteItem, which it
 * does not serve (it drops the parameter). As on AWS, the parameter accepts `ALL_OLD` or `NONE`, and
 * with `ALL_OLD` a failed condition answers ConditionalCheckFailedException with the item as it was
 * in `Item`; an item that does not exist gives no `Item`.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const INSTALLED = Symbol.for('recert.dynalite.conditionCheckItem');
const PARAMETER = 'ReturnValuesOnConditionCheckFailure';
/** The single-item writes that take the parameter (BatchWriteItem has none; dynalite has no transactions). */
const WRITES = ['putItem', 'updateItem', 'deleteItem'] as const;

type CheckConditional = (data: Record<string, unknown>, existingItem: unknown) => unknown;

function isObject(value: unknown): value is Record<string | symbol, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Makes dynalite accept the parameter and return the item on a failed condition, once per process. */
export function installConditionCheckItem(): void {
  const db: unknown = require('dynalite/db');
  if (!isObject(db) || typeof db.checkConditional !== 'function') {
    throw new Error(
      'dynalite/db no longer exports checkConditional: ReturnValuesOnConditionCheckFailure cannot be installed',
    );
  }
  if (db[INSTALLED] === true) return;
  for (const write of WRITES) {
    const validation: unknown = require(`dynalite/validations/${write}`);
    if (!isObject(validation) || !isObject(validation.types)) {
      throw new Error(`dynalite/validations/${write} has no types: the dynalite version changed`);
    }
    // Validated as DynamoDB validates it (its enum error), and kept in the request instead of dropped.
    validation.types[PARAMETER] = { type: 'String', enum: ['ALL_OLD', 'NONE'] };
  }
  const original = db.checkConditional as CheckConditional;
  const withItem: CheckConditional = (data, existingItem) => {
    const failure = original(data, existingItem);
    if (
      isObject(failure) &&
      isObject(failure.body) &&
      data[PARAMETER] === 'ALL_OLD' &&
      isObject(existingItem)
    ) {
      failure.body.Item = existingItem;
    }
    return failure;
  };
  db.checkConditional = withItem;
  db[INSTALLED] = true;
}
