/**
 * SigV4 verification of a received request, canonicalized with `@smithy/signature-v4` as the SDK signs; the
 * HMAC chain runs on node:crypto, as servers need it synchronous and `SignatureV4.sign` is async.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { getCanonicalHeaders, getCanonicalQuery } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { escapeUri } from '@smithy/util-uri-escape';
import type { SignedHttpRequest } from './types.ts';

export type SignatureCheck =
  | { ok: true; accessKeyId: string; region: string; service: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'unknown-key' | 'mismatch' | 'expired' };

/** What the Authorization header states: who signed, for which scope, over which headers. */
export interface SignedAuthorization {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** AWS accepts a request signed up to 15 minutes before or after its own clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

function header(request: SignedHttpRequest, name: string): string | undefined {
  const value = request.headers[name] ?? request.headers[name.toLowerCase()];
  if (value !== undefined) return Array.isArray(value) ? value.join(',') : (value as string);
  for (const [key, v] of Object.entries(request.headers)) {
    if (key.toLowerCase() === name && v !== undefined) return Array.isArray(v) ? v.join(',') : (v as string);
  }
  return undefined;
}

/**
 * Reads the Authorization header: undefined when there is none, 'malformed' when it is not a SigV4
 * header this verifier can read.
 */
export function authorizationOf(request: SignedHttpRequest): SignedAuthorization | 'malformed' | undefined {
  const value = header(request, 'authorization');
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (!trimmed.startsWith(`${ALGORITHM} `)) return 'malformed';
  const fields = new Map<string, string>();
  for (const field of trimmed.slice(ALGORITHM.length).split(',')) {
    const eq = field.indexOf('=');
    if (eq > 0) fields.set(field.slice(0, eq).trim(), field.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential')?.split('/');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential?.length !== 5 || signedHeaders === undefined || signature === undefined) return 'malformed';
  const [accessKeyId, date, region, service, terminator] = credential as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (accessKeyId === '' || !/^\d{8}$/.test(date) || region === '' || service === '') return 'malformed';
  if (terminator !== 'aws4_request' || !/^[0-9a-f]{64}$/.test(signature)) return 'malformed';
  const names = signedHeaders.split(';');
  if (names.some((name) => name === '' || name !== name.toLowerCase())) return 'malformed';
  return { accessKeyId, date, region, service, signedHeaders: names, signature };
}

/** `20240101T120000Z` → Date; undefined when not that form. */
export function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The date a request says it was signed at (its x-amz-date header). */
export function signedAt(request: SignedHttpRequest): Date | undefined {
  const value = header(request, 'x-amz-date');
  return value === undefined ? undefined : parseAmzDate(value);
}

/** The SDK's canonical path: `.`/`..`/empty segments removed, then each character escaped again. */
export function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${rawPath.startsWith('/') ? '/' : ''}${segments.join('/')}${
    segments.length > 0 && rawPath.endsWith('/') ? '/' : ''
  }`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

/** The query string as the signer sees it: decoded keys and values, repeated keys as arrays. */
function parseQuery(rawQuery: string): Record<string, string | string[]> | undefined {
  const query: Record<string, string | string[]> = {};
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    } catch {
      return undefined;
    }
    const existing = Object.hasOwn(query, key) ? query[key] : undefined;
    query[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

const signingKeys = new Map<string, Buffer>();
const SIGNING_KEY_CACHE_LIMIT = 1024;

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = `${secret}\n${date}\n${region}\n${service}`;
  const cached = signingKeys.get(cacheKey);
  if (cached !== undefined) return cached;
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  const key = createHmac('sha256', kService).update('aws4_request').digest();
  // Evict the oldest entry (Map keeps insertion order) so the cache stays bounded.
  if (signingKeys.size >= SIGNING_KEY_CACHE_LIMIT)
    signingKeys.delete(signingKeys.keys().next().value as string);
  signingKeys.set(cacheKey, key);
  return key;
}

/**
 * The canonical request as the SDK's signer builds it (its own header and query canonicalization);
 * undefined when the request cannot be canonicalized (text that cannot be URI-encoded).
 */
function canonicalRequestOf(
  request: SignedHttpRequest,
  query: Record<string, string | string[]>,
  headers: Record<string, string>,
  signedHeaders: readonly string[],
  payloadHash: string,
): string | undefined {
  try {
    const smithyRequest = {
      method: request.method,
      path: request.rawPath,
      query,
      headers,
    } as unknown as HttpRequest;
    const canonicalHeaders = getCanonicalHeaders(smithyRequest, undefined, new Set(signedHeaders));
    const names = Object.keys(canonicalHeaders).sort();
    return [
      request.method,
      canonicalPath(request.rawPath),
      getCanonicalQuery(smithyRequest),
      names.map((name) => `${name}:${canonicalHeaders[name]}`).join('\n'),
      '',
      names.join(';'),
      payloadHash,
    ].join('\n');
  } catch {
    return undefined;
  }
}

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * Verifies a request's SigV4 signature; failures in the order checked: `missing`, `malformed`, `unknown-key`,
 * `expired` (over 15 minutes from `now`), `mismatch`. Presigned requests are not supported: `missing`.
 */
export function verifySignature(
  request: SignedHttpRequest,
  secretOf: (accessKeyId: string) => string | undefined,
  now: Date,
): SignatureCheck {
  const auth = authorizationOf(request);
  if (auth === undefined) return { ok: false, reason: 'missing' };
  if (auth === 'malformed') return { ok: false, reason: auth };
  const amzDate = header(request, 'x-amz-date');
  const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || signingDate === undefined || !amzDate.startsWith(auth.date)) {
    return { ok: false, reason: 'malformed' };
  }
  if (!auth.signedHeaders.includes('host') || !auth.signedHeaders.includes('x-amz-date')) {
    return { ok: false, reason: 'malformed' };
  }
  const secret = secretOf(auth.accessKeyId);
  if (secret === undefined) return { ok: false, reason: 'unknown-key' };
  if (Math.abs(now.getTime() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS)
    return { ok: false, reason: 'expired' };

  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = header(request, name);
    if (value === undefined) return { ok: false, reason: 'mismatch' };
    headers[name] = value;
  }
  const query = parseQuery(request.rawQuery);
  if (query === undefined) return { ok: false, reason: 'malformed' };
  const bodyHash = sha256Hex(request.body);
  // A signed x-amz-content-sha256 stands for the body in the signature; it must then be the body's hash.
  const declaredHash = headers['x-amz-content-sha256'];
  if (declaredHash !== undefined && declaredHash !== bodyHash) return { ok: false, reason: 'mismatch' };

  const canonicalRequest = canonicalRequestOf(
    request,
    query,
    headers,
    auth.signedHeaders,
    declaredHash ?? bodyHash,
  );
  if (canonicalRequest === undefined) return { ok: false, reason: 'malformed' };
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const expected = createHmac('sha256', signingKey(secret, auth.date, auth.region, auth.service))
    .update(stringToSign)
    .digest();
  const given = Buffer.from(auth.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'mismatch' };
  return { ok: true, accessKeyId: auth.accessKeyId, region: auth.region, service: auth.service };
}
