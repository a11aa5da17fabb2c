import { createHash } from 'node:crypto';

/** Step Functions execution names: 1-80 characters of letters, digits, `-` and `_`. */
export const EXECUTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;
const HASH_CHARS = 24;
const PREFIX_CHARS = 80 - 1 - HASH_CHARS;

/**
 * The execution name of the rotation of (thing, old certificate): the same pair gives the same name, so a
 * repeated audit starts nothing (ExecutionAlreadyExists for 90 days); a hash keeps pairs apart.
 */
export function executionName(thingName: string, certificateId: string): string {
  const prefix = thingName.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, PREFIX_CHARS);
  const hash = createHash('sha256')
    .update(`${thingName}\n${certificateId}`)
    .digest('hex')
    .slice(0, HASH_CHARS);
  return `${prefix}-${hash}`;
}
