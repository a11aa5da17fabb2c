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
