import { DescribeThingCommand } from '@aws-sdk/client-iot';
import { isNamed, NotFoundError } from '../errors.ts';
import type { Target } from '../target/target.ts';
import { getRecord, type RotationRecord } from './records.ts';

/** Throws NotFoundError when IoT has no thing of that name. */
export async function requireThing(target: Target, thingName: string): Promise<void> {
  try {
    await target.iot.send(new DescribeThingCommand({ thingName }));
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) {
      throw new NotFoundError(`there is no thing named ${thingName}`, {
        cause: error,
        hint: 'check the name (thing names are case-sensitive)',
      });
    }
    throw error;
  }
}

/**
 * The rotation record of a thing. An unknown thing and a thing that has never rotated are both
 * "not found", with different messages, so a typo is not mistaken for a quiet device.
 */
export async function requireRecord(target: Target, thingName: string): Promise<RotationRecord> {
  const record = await getRecord(target, thingName);
  if (record) return record;
  await requireThing(target, thingName);
  throw new NotFoundError(`thing ${thingName} has no rotation record: it has never been rotated by recert`, {
    hint: `start one with "recert rotate ${thingName}"`,
  });
}
