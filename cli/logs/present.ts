/** An entry as one line: for people (aligned columns, the other keys as key=value) or as JSON. */
import { cellText } from '../output/table.ts';
import type { LogEntry } from './entries.ts';

/** Columns padded to these widths, so lines printed as they come still line up. */
const WIDTHS = { time: 24, level: 5, function: 20, thing: 16 } as const;

export const TABLE_HEADER = line('TIME', 'LEVEL', 'FUNCTION', 'THING', 'MESSAGE');

export function tableLine(entry: LogEntry): string {
  const extra = Object.entries({
    ...(entry.rotationId !== undefined ? { rotationId: entry.rotationId } : {}),
    ...entry.fields,
  })
    .map(([key, value]) => `${key}=${typeof value === 'string' ? quoted(value) : JSON.stringify(value)}`)
    .join(' ');
  const message = extra === '' ? entry.message : `${entry.message}  ${extra}`;
  return line(
    entry.time,
    entry.level,
    entry.functionName.replace(/^recert-/, ''),
    entry.thingName ?? '-',
    cellText(message),
  );
}

/** One JSON object a line (JSON Lines), so a script can read it as it comes with --follow too. */
export function jsonLine(entry: LogEntry): string {
  const { fields, time, level, functionName, requestId, thingName, rotationId, message } = entry;
  const tagged = {
    time,
    level,
    functionName,
    requestId,
    ...(thingName !== undefined ? { thingName } : {}),
    ...(rotationId !== undefined ? { rotationId } : {}),
    message,
  };
  const other = Object.entries(fields).filter(([key]) => !(key in tagged));
  return JSON.stringify({ ...tagged, ...Object.fromEntries(other) });
}

function line(time: string, level: string, fn: string, thing: string, message: string): string {
  return [
    cellText(time).padEnd(WIDTHS.time),
    cellText(level).padEnd(WIDTHS.level),
    cellText(fn).padEnd(WIDTHS.function),
    cellText(thing).padEnd(WIDTHS.thing),
    message,
  ].join('  ');
}

const quoted = (text: string): string => (/^[^\s"=]+$/.test(text) ? text : JSON.stringify(text));
