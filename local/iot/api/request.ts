/** Reading the parts of a restJson1 request that are not the JSON body: query flags and headers. */
import { InvalidRequestException } from '../errors.ts';
import type { RestRequest } from '../interfaces.ts';
import { pageSize } from '../registry/pagination.ts';

export function queryBoolean(request: RestRequest, name: string): boolean | undefined {
  const value = request.query.get(name);
  if (value === null || value === '') return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidRequestException(`${name} must be true or false, got '${value}'`);
}

export function queryString(request: RestRequest, name: string): string | undefined {
  const value = request.query.get(name);
  return value === null || value === '' ? undefined : value;
}

export function requiredHeader(request: RestRequest, name: string): string {
  const value = request.headers[name.toLowerCase()];
  const single = Array.isArray(value) ? value[0] : value;
  if (single === undefined || single === '') throw new InvalidRequestException(`header ${name} is required`);
  return single;
}

export function label(request: RestRequest, name: string): string {
  const value = request.pathParams[name];
  if (value === undefined) throw new InvalidRequestException(`${name} is required`);
  return value;
}

/** restJson1 timestamps are epoch seconds. */
export const epochSeconds = (ms: number): number => ms / 1000;

export const ok = (body?: unknown): { status: number; body?: unknown } =>
  body === undefined ? { status: 200 } : { status: 200, body };

/** Spreads `{ [key]: value }` only when the value is defined (exactOptionalPropertyTypes). */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  if (value === undefined) return {};
  const out: { [P in K]?: V } = {};
  out[key] = value;
  return out;
}

/** The page a list request asks for: its token and its size (25 unless it says). */
export function pageOf(
  request: RestRequest,
  style: 'marker' | 'nextToken' = 'marker',
): [token: string | undefined, size: number] {
  const size = style === 'marker' ? 'pageSize' : 'maxResults';
  return [queryString(request, style), pageSize(request.query.get(size), size, 25)];
}
