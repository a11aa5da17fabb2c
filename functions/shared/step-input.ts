import type { z } from 'zod';
import { InvalidStepInput } from '../../workflows/rotate-device/errors.ts';

/**
 * Validates a step's event. The error names the fields that are wrong but never echoes their
 * values: an event may carry a task token or a certificate.
 */
export function parseStepInput<S extends z.ZodType>(schema: S, event: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(event);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InvalidStepInput(`${what} input is invalid: ${issues}`);
  }
  return result.data;
}

/** The log keys `keys` names, from a parsed input: the text values it has of them. */
export function logKeysOf(input: unknown, keys: readonly string[]): Record<string, string> {
  const fields = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  return Object.fromEntries(
    keys.flatMap((key) => (typeof fields[key] === 'string' ? [[key, fields[key]]] : [])),
  );
}
