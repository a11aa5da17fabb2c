/** Things: CreateThing, DescribeThing, ListThings, DeleteThing, with AWS's rules. */
import { randomUUID } from 'node:crypto';
import {
  InvalidRequestException,
  ResourceAlreadyExistsException,
  VersionConflictException,
} from '../errors.ts';
import { type Partition, thingArn } from './arns.ts';
import { type Page, paginate } from './pagination.ts';
import type { ThingRecord } from './records.ts';
import type { RegistryState } from './registry-state.ts';

const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

export function checkThingName(name: string): void {
  if (!THING_NAME.test(name)) {
    throw new InvalidRequestException(
      `thingName must be 1-128 characters of letters, digits, ':', '_' or '-', got '${name}'`,
    );
  }
}

export interface ListThingsQuery {
  readonly nextToken?: string;
  readonly maxResults: number;
  readonly attributeName?: string;
  readonly attributeValue?: string;
  readonly thingTypeName?: string;
  readonly usePrefixAttributeValue?: boolean;
}

export class ThingOperations {
  constructor(
    private readonly state: RegistryState,
    private readonly partition: Partition,
    private readonly now: () => number,
  ) {}

  /** Creating a thing that exists with the same attributes returns it, as AWS does. */
  create(name: string, attributes: Record<string, string> = {}, thingTypeName?: string): ThingRecord {
    checkThingName(name);
    const existing = this.state.things.get(name);
    if (existing) {
      if (sameAttributes(existing.attributes, attributes) && existing.thingTypeName === thingTypeName)
        return existing;
      throw new ResourceAlreadyExistsException(
        `thing ${name} already exists with different attributes`,
        existing.thingId,
        existing.thingArn,
      );
    }
    const record: ThingRecord = {
      thingName: name,
      thingId: randomUUID(),
      thingArn: thingArn(this.partition, name),
      attributes,
      version: 1,
      createdAt: this.now(),
      ...(thingTypeName === undefined ? {} : { thingTypeName }),
    };
    this.state.things.put(name, record);
    return record;
  }

  describe(name: string): ThingRecord {
    checkThingName(name);
    return this.state.things.existing(name);
  }

  find(name: string): ThingRecord | undefined {
    return this.state.things.get(name);
  }

  list(query: ListThingsQuery): Page<ThingRecord> {
    const matches = [...this.state.things.values()]
      .filter((t) => query.thingTypeName === undefined || t.thingTypeName === query.thingTypeName)
      .filter((t) => {
        if (query.attributeName === undefined) return true;
        const value = t.attributes[query.attributeName];
        if (value === undefined) return false;
        if (query.attributeValue === undefined) return true;
        return query.usePrefixAttributeValue
          ? value.startsWith(query.attributeValue)
          : value === query.attributeValue;
      })
      .sort((a, b) => (a.thingName < b.thingName ? -1 : a.thingName > b.thingName ? 1 : 0));
    return paginate(matches, (t) => t.thingName, query.nextToken, query.maxResults);
  }

  /**
   * Deleting a thing that does not exist succeeds, as on AWS; one with principals attached is refused,
   * because AWS requires them detached first.
   */
  delete(name: string, expectedVersion?: number): void {
    checkThingName(name);
    const thing = this.state.things.get(name);
    if (!thing) return;
    if (expectedVersion !== undefined && expectedVersion !== thing.version) {
      throw new VersionConflictException(
        `thing ${name} is at version ${thing.version}, not ${expectedVersion}`,
      );
    }
    const principals = this.state.thingPrincipals.rightsOf(name);
    if (principals.length > 0) {
      throw new InvalidRequestException(
        `cannot delete thing ${name}: ${principals.length} principal(s) still attached; detach them first`,
      );
    }
    this.state.things.delete(name);
  }
}

function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
