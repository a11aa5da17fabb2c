/** The functions' log levels, as Powertools Logger names them, and the flags that take one. */
import { UsageError } from '../errors.ts';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Powertools' order: a record at a level is shown by any level below it (CRITICAL above ERROR). */
const RANK: Readonly<Record<string, number>> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3, CRITICAL: 4 };

/** `--log-level` of `local up`: a level, or `silent` (the default: no function logs kept). */
export function functionLogLevelFlag(text: string | undefined): LogLevel | undefined {
  if (text === undefined || text.toLowerCase() === 'silent') return undefined;
  return levelFlag('log-level', text, 'debug, info, warn, error or silent');
}

/** `--level` of `recert logs`: the lowest level shown. */
export function minimumLevelFlag(text: string | undefined): LogLevel | undefined {
  return text === undefined ? undefined : levelFlag('level', text, 'debug, info, warn or error');
}

function levelFlag(flag: string, text: string, expected: string): LogLevel {
  const level = LOG_LEVELS.find((l) => l === text.toLowerCase());
  if (!level) throw new UsageError(`--${flag} ${JSON.stringify(text)} is not one of ${expected}`);
  return level;
}

/** Whether a record's level (any case; unknown levels count as INFO) is at `minimum` or above. */
export function atLeast(level: string | undefined, minimum: LogLevel): boolean {
  return (RANK[(level ?? 'INFO').toUpperCase()] ?? 1) >= (RANK[minimum.toUpperCase()] ?? 0);
}
