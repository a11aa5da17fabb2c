import { StoreCorruptError } from './errors.ts';
import type { ExecutionRecord, Frame, HistoryEvent, MachineRecord } from './model.ts';

/** The store's records: what the log's lines hold, written by `line` and read back by `applyRecord`. */

export interface StoredState {
  machines: Map<string, MachineRecord>;
  definitions: Map<string, string>;
  executions: Map<string, ExecutionRecord>;
  frames: Map<string, Map<string, Frame>>;
  events: Map<string, HistoryEvent[]>;
}

type LogRecord =
  | { m: MachineRecord }
  | { dm: string }
  | { d: [string, string] }
  | { x: ExecutionRecord }
  | { f: [string, Frame] }
  | { df: [string, string] }
  | { e: [string, HistoryEvent[]] }
  | { c: number };

export const line = (r: LogRecord): string => `${JSON.stringify(r)}\n`;

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

// The log is written only by the store; records are checked for their envelope, not re-validated field by field.
export const applyRecord = (state: StoredState, record: unknown): void => {
  if (!isRecord(record)) throw new StoreCorruptError('a log record is not an object');
  if ('m' in record && isMachine(record.m)) state.machines.set(record.m.arn, record.m);
  else if ('dm' in record && typeof record.dm === 'string') state.machines.delete(record.dm);
  else if ('d' in record && Array.isArray(record.d)) {
    const [hash, text] = record.d;
    if (typeof hash === 'string' && typeof text === 'string') state.definitions.set(hash, text);
  } else if ('x' in record && isExecution(record.x)) state.executions.set(record.x.arn, record.x);
  else if ('f' in record && Array.isArray(record.f)) {
    const [arn, frame] = record.f;
    if (typeof arn === 'string' && isFrame(frame)) {
      const fs = state.frames.get(arn) ?? new Map<string, Frame>();
      state.frames.set(arn, fs);
      fs.set(frame.id, frame);
    }
  } else if ('df' in record && Array.isArray(record.df)) {
    const [arn, id] = record.df;
    if (typeof arn === 'string' && typeof id === 'string') state.frames.get(arn)?.delete(id);
  } else if ('e' in record && Array.isArray(record.e)) {
    const [arn, events] = record.e;
    if (typeof arn === 'string' && Array.isArray(events)) {
      const list = state.events.get(arn) ?? [];
      state.events.set(arn, list);
      for (const ev of events) if (isEvent(ev)) list.push(ev);
    }
  } else throw new StoreCorruptError(`unknown log record with keys ${Object.keys(record).join(',')}`);
};

// Type guards over records the store wrote itself: they check the identifying fields.
const isMachine = (v: unknown): v is MachineRecord =>
  isRecord(v) && typeof v.arn === 'string' && typeof v.definitionHash === 'string';
const isExecution = (v: unknown): v is ExecutionRecord =>
  isRecord(v) &&
  typeof v.arn === 'string' &&
  typeof v.status === 'string' &&
  typeof v.nextEventId === 'number';
const isFrame = (v: unknown): v is Frame => isRecord(v) && typeof v.id === 'string' && isRecord(v.phase);
const isEvent = (v: unknown): v is HistoryEvent =>
  isRecord(v) && typeof v.id === 'number' && typeof v.type === 'string';
