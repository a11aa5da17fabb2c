/** Which entries `recert logs` prints: by thing, rotation, function, lowest level and age. */

import type { LogEntry } from './entries.ts';
import { atLeast, type LogLevel } from './levels.ts';

export interface LogFilter {
  readonly thingName?: string;
  readonly rotationId?: string;
  /** The function's name in Lambda (`recert-device-reply`). */
  readonly functionName?: string;
  readonly minimumLevel?: LogLevel;
  /** ISO time: only entries at or after it. */
  readonly since?: string;
}

export function matches(entry: LogEntry, filter: LogFilter): boolean {
  if (filter.thingName !== undefined && entry.thingName !== filter.thingName) return false;
  if (filter.rotationId !== undefined && entry.rotationId !== filter.rotationId) return false;
  if (filter.functionName !== undefined && entry.functionName !== filter.functionName) return false;
  if (filter.minimumLevel !== undefined && !atLeast(entry.level, filter.minimumLevel)) return false;
  if (filter.since !== undefined && Date.parse(entry.time) < Date.parse(filter.since)) return false;
  return true;
}
