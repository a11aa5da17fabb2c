import { createHash } from 'node:crypto';

/** Step Functions execution names: 1-80 characters of letters, digits, `-` and `_`. */
export const EXECUTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;
const HASH_CHARS = 24;
const PREFIX_CHARS = 80 - 1 - HASH_CHARS;

/**
 * The execution name of the rotation of (thing, old certificate): the same pair always gives the
 * same name, so a repeated audit or a redelivered notification starts nothing new (Step Functions
 * answers ExecutionAlreadyExists for 90 days). The readable prefix is the thing name with any
 * character names do not allow replaced; the hash of both keeps distinct pairs apart.
 */
export function executionName(thingName: string, certificateId: string): string {
  const prefix = thingName.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, PREFIX_CHARS);
  const hash = createHash('sha256')
    .update(`${thingName}\n${certificateId}`)
    .digest('hex')
    .slice(0, HASH_CHARS);
  return `${prefix}-${hash}`;
}
