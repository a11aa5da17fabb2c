/**
 * DynamoDB's item size in UTF-8 bytes for dynalite's 400 KB check. DynamoDB counts a string and an
 * attribute name by their UTF-8 bytes; dynalite counts their JavaScript length (UTF-16 code units),
 * so an item of non-ASCII text up to three times over the limit would pass locally and fail on AWS.
 * dynalite's PutItem, UpdateItem and BatchWriteItem checks call its exported `itemSize`: it is
 * wrapped here to add what UTF-8 counts beyond the JavaScript length. Everything else (numbers,
 * binaries, list and map overhead) dynalite sizes as DynamoDB documents it already.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const INSTALLED = Symbol.for('recert.dynalite.utf8ItemSize');

type ItemSize = (item: Record<string, unknown>, ...rest: unknown[]) => number;

function isObject(value: unknown): value is Record<string | symbol, unknown> {
  return typeof value === 'object' && value !== null;
}

/** How many more bytes a string has in UTF-8 than characters in JavaScript. */
const surplus = (text: string): number => Buffer.byteLength(text, 'utf8') - text.length;

function valueSurplus(value: unknown): number {
  if (!isObject(value)) return 0;
  if (typeof value.S === 'string') return surplus(value.S);
  if (Array.isArray(value.SS)) {
    return value.SS.reduce((sum: number, s: unknown) => sum + (typeof s === 'string' ? surplus(s) : 0), 0);
  }
  if (Array.isArray(value.L)) return value.L.reduce((sum: number, v: unknown) => sum + valueSurplus(v), 0);
  if (isObject(value.M)) return itemUtf8Surplus(value.M);
  return 0;
}

/** The bytes that UTF-8 adds, over JavaScript string lengths, to an item's names and strings. */
export function itemUtf8Surplus(item: Record<string, unknown>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) total += surplus(name) + valueSurplus(value);
  return total;
}

/** Makes dynalite's item size check count UTF-8 bytes, once per process. */
export function installUtf8ItemSize(): void {
  const db: unknown = require('dynalite/db');
  if (!isObject(db) || typeof db.itemSize !== 'function') {
    throw new Error('dynalite/db no longer exports itemSize: the UTF-8 item size check cannot be installed');
  }
  if (db[INSTALLED] === true) return;
  const original = db.itemSize as ItemSize;
  // Called with the item alone by the size checks; the extra arguments (dynalite's compressed
  // sizes for Query and Scan pages) are left to dynalite.
  const utf8ItemSize: ItemSize = (item, ...rest) =>
    rest.length > 0 ? original(item, ...rest) : original(item) + itemUtf8Surplus(item);
  db.itemSize = utf8ItemSize;
  db[INSTALLED] = true;
}
