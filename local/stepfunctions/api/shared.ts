import { apiError } from '../errors.ts';
import { isObject, type Json, type JsonObject } from '../json.ts';
import type { Execution, HistoryEvent, MachineRecord } from '../model.ts';
import { checkExecutionArn, checkMachineArn } from '../names.ts';
import type { Runtime } from '../runtime/runtime.ts';

/** What every API operation needs: required fields, pagination, ARNs that must exist, times in seconds. */

export const secs = (ms: number): number => ms / 1000;

export const machineOf = (rt: Runtime, arnValue: Json | undefined): MachineRecord => {
  const arn = checkMachineArn(arnValue);
  const m = rt.machines.get(arn);
  if (!m) throw apiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  return m;
};

export const executionOf = (rt: Runtime, arnValue: Json | undefined): Execution => {
  const arn = checkExecutionArn(arnValue);
  const e = rt.executions.get(arn);
  if (!e) throw apiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  return e;
};

export const requireString = (input: JsonObject, field: string): string => {
  const v = input[field];
  if (typeof v !== 'string') {
    throw apiError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null and must be a string`,
    );
  }
  return v;
};

export const paginate = <T>(
  all: readonly T[],
  input: JsonObject,
  what: string,
): { page: T[]; nextToken?: string } => {
  const max = input.maxResults === undefined || input.maxResults === 0 ? 100 : input.maxResults;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > 1000) {
    throw apiError(
      'ValidationException',
      `1 validation error detected: Value '${String(max)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
    );
  }
  let start = 0;
  if (input.nextToken !== undefined) {
    const decoded =
      typeof input.nextToken === 'string'
        ? /^(\d+):([a-z]+)$/.exec(Buffer.from(input.nextToken, 'base64url').toString('utf8'))
        : null;
    if (!decoded?.[1] || decoded[2] !== what)
      throw apiError('InvalidToken', `Invalid Token: '${String(input.nextToken)}' is not a pagination token`);
    start = Number(decoded[1]);
  }
  const page = all.slice(start, start + max);
  const end = start + page.length;
  return end < all.length
    ? { page, nextToken: Buffer.from(`${end}:${what}`).toString('base64url') }
    : { page };
};

/** A history event on the wire: seconds for the timestamp, execution data left out if asked. */
export const wireEvent = (e: HistoryEvent, includeData: boolean): JsonObject => {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(e)) {
    if (v === undefined) continue;
    if (k === 'timestamp' && typeof v === 'number') out[k] = secs(v);
    else if (!includeData && isObject(v)) {
      const { input: _i, output: _o, parameters: _p, ...rest } = v;
      out[k] = rest;
    } else out[k] = v;
  }
  return out;
};
