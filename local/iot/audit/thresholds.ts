import { AuditInvalidRequestError } from './audit-errors.ts';
import { type CheckName, THRESHOLDS } from './audit-model.ts';

/** The check's threshold in days from its configuration, AWS's default when absent; refuses out-of-range values. */
export function thresholdOf(name: CheckName, configuration: Readonly<Record<string, string>>): number {
  const spec = THRESHOLDS[name];
  const raw = configuration[spec.key];
  if (raw === undefined) return spec.default;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < spec.min || days > spec.max) {
    throw new AuditInvalidRequestError(
      `${name}: ${spec.key} must be a whole number of days from ${spec.min} to ${spec.max}, got '${raw}'`,
    );
  }
  return days;
}
