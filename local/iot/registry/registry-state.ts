/**
 * The registry's tables in memory, kept in step with the entity log, with the two-way indexes the
 * link tables need (thing <-> principal, policy <-> target).
 */
import { z } from 'zod';
import { ResourceNotFoundException } from '../errors.ts';
import { CorruptStateError, type EntityLog } from '../store/entity-log.ts';
import {
  type CaCertificateRecord,
  type CertificateRecord,
  caCertificateRecordSchema,
  certificateRecordSchema,
  type PolicyRecord,
  policyRecordSchema,
  TABLES,
  type ThingRecord,
  thingRecordSchema,
} from './records.ts';

const SEP = '\u0000';

/**
 * A many-to-many link persisted as one row per pair, indexed both ways. A removal can linger:
 * stored at once, but still visible to reads until a given clock time, the way AWS's
 * DetachThingPrincipal takes a few seconds to be seen everywhere.
 */
export class LinkTable {
  private readonly byLeft = new Map<string, Set<string>>();
  private readonly byRight = new Map<string, Set<string>>();
  /** `left\u0000right` -> clock time until which the removed link is still seen. */
  private readonly lingering = new Map<string, number>();

  constructor(
    private readonly log: EntityLog,
    private readonly table: string,
    private readonly now: () => number = () => 0,
  ) {
    for (const key of log.table(table).keys()) {
      const [left, right] = key.split(SEP);
      if (left === undefined || right === undefined)
        throw new CorruptStateError(`bad link '${key}' in ${table}`);
      this.index(left, right);
    }
  }

  add(left: string, right: string): boolean {
    this.lingering.delete(`${left}${SEP}${right}`);
    if (this.isStored(left, right)) return false;
    this.index(left, right);
    this.log.put(this.table, `${left}${SEP}${right}`, true);
    return true;
  }

  /** Removes the link; with `visibleUntil` in the future, reads keep seeing it until then. */
  remove(left: string, right: string, visibleUntil?: number): boolean {
    if (!this.isStored(left, right)) return false;
    this.byLeft.get(left)?.delete(right);
    this.byRight.get(right)?.delete(left);
    if (this.byLeft.get(left)?.size === 0) this.byLeft.delete(left);
    if (this.byRight.get(right)?.size === 0) this.byRight.delete(right);
    this.log.delete(this.table, `${left}${SEP}${right}`);
    if (visibleUntil !== undefined && visibleUntil > this.now())
      this.lingering.set(`${left}${SEP}${right}`, visibleUntil);
    return true;
  }

  has(left: string, right: string): boolean {
    return this.isStored(left, right) || this.lingeringPairs().some(([l, r]) => l === left && r === right);
  }

  rightsOf(left: string): string[] {
    const stored = [...(this.byLeft.get(left) ?? [])];
    const ghosts = this.lingeringPairs()
      .filter(([l]) => l === left)
      .map(([, r]) => r);
    return ghosts.length === 0 ? stored : [...new Set([...stored, ...ghosts])];
  }

  leftsOf(right: string): string[] {
    const stored = [...(this.byRight.get(right) ?? [])];
    const ghosts = this.lingeringPairs()
      .filter(([, r]) => r === right)
      .map(([l]) => l);
    return ghosts.length === 0 ? stored : [...new Set([...stored, ...ghosts])];
  }

  private isStored(left: string, right: string): boolean {
    return this.byLeft.get(left)?.has(right) ?? false;
  }

  /** Lingering removals still visible now; expired ones are forgotten. */
  private lingeringPairs(): Array<[string, string]> {
    if (this.lingering.size === 0) return [];
    const now = this.now();
    const pairs: Array<[string, string]> = [];
    for (const [key, until] of this.lingering) {
      if (until <= now) {
        this.lingering.delete(key);
        continue;
      }
      const [left = '', right = ''] = key.split(SEP);
      pairs.push([left, right]);
    }
    return pairs;
  }

  private index(left: string, right: string): void {
    const rights = this.byLeft.get(left) ?? new Set<string>();
    rights.add(right);
    this.byLeft.set(left, rights);
    const lefts = this.byRight.get(right) ?? new Set<string>();
    lefts.add(left);
    this.byRight.set(right, lefts);
  }
}

/** A keyed table of validated records; `noun` names a record in errors (`thing`, `policy`). */
export class RecordTable<T> {
  private readonly rows = new Map<string, T>();

  constructor(
    private readonly log: EntityLog,
    private readonly table: string,
    schema: z.ZodType<T>,
    private readonly noun: string,
  ) {
    for (const [key, value] of log.table(table)) {
      const parsed = schema.safeParse(value);
      if (!parsed.success)
        throw new CorruptStateError(`record '${key}' in ${table} is invalid: ${parsed.error.message}`);
      this.rows.set(key, parsed.data);
    }
  }

  get(key: string): T | undefined {
    return this.rows.get(key);
  }

  /** The record, or ResourceNotFoundException with AWS's message: `thing t1 does not exist`. */
  existing(key: string): T {
    const row = this.rows.get(key);
    if (row === undefined) throw new ResourceNotFoundException(`${this.noun} ${key} does not exist`);
    return row;
  }

  put(key: string, value: T): void {
    this.rows.set(key, value);
    this.log.put(this.table, key, value);
  }

  delete(key: string): void {
    if (!this.rows.delete(key)) return;
    this.log.delete(this.table, key);
  }

  values(): IterableIterator<T> {
    return this.rows.values();
  }

  get size(): number {
    return this.rows.size;
  }
}

export class RegistryState {
  readonly things: RecordTable<ThingRecord>;
  readonly certificates: RecordTable<CertificateRecord>;
  readonly caCertificates: RecordTable<CaCertificateRecord>;
  readonly policies: RecordTable<PolicyRecord>;
  readonly settings: RecordTable<string>;
  /** thing name -> certificate id. */
  readonly thingPrincipals: LinkTable;
  /** policy name -> certificate id. */
  readonly policyTargets: LinkTable;

  constructor(
    readonly log: EntityLog,
    now: () => number = () => 0,
  ) {
    this.things = new RecordTable(log, TABLES.things, thingRecordSchema, 'thing');
    this.certificates = new RecordTable(log, TABLES.certificates, certificateRecordSchema, 'certificate');
    this.caCertificates = new RecordTable(
      log,
      TABLES.caCertificates,
      caCertificateRecordSchema,
      'CA certificate',
    );
    this.policies = new RecordTable(log, TABLES.policies, policyRecordSchema, 'policy');
    this.settings = new RecordTable(log, TABLES.settings, z.string(), 'setting');
    this.thingPrincipals = new LinkTable(log, TABLES.thingPrincipals, now);
    this.policyTargets = new LinkTable(log, TABLES.policyTargets);
  }
}
