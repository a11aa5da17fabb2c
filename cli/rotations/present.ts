import type { RotationRecord } from '../../workflows/rotate-device/record.ts';
import { statusColour } from '../output/colour.ts';
import type { Column } from '../output/table.ts';
import { readableError } from './error-text.ts';

/**
 * A record as the CLI shows it: without the pending task token (it never leaves the cloud side),
 * without the certificate PEM (long, and `aws iot describe-certificate` gives it) and without the
 * replies accepted without rotationId by an earlier execution of the thing.
 */
export type PublicRecord = Omit<RotationRecord, 'taskToken' | 'newCertificatePem'>;

export function publicRecord(record: RotationRecord): PublicRecord {
  const { taskToken: _token, newCertificatePem: _pem, acceptedWithoutRotationId, ...rest } = record;
  return repliesWithoutRotationId(record).length > 0 && acceptedWithoutRotationId
    ? { ...rest, acceptedWithoutRotationId }
    : rest;
}

/**
 * The kinds of reply the record's current execution accepted without rotationId (blog-compatible
 * mode); a list left by an earlier execution of the thing does not count.
 */
export function repliesWithoutRotationId(record: RotationRecord): readonly string[] {
  const accepted = record.acceptedWithoutRotationId;
  return accepted?.executionArn === record.executionArn ? accepted.kinds : [];
}

const short = (id: string | undefined): string | undefined =>
  id === undefined ? undefined : id.slice(0, 12);

/** How long ago an ISO time was, in the largest unit that fits (`3d`, `5h`, `12m`, `40s`). */
export function age(iso: string | undefined, now: number): string | undefined {
  if (iso === undefined) return undefined;
  const ms = now - Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s >= 86_400) return `${Math.floor(s / 86_400)}d`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h`;
  if (s >= 60) return `${Math.floor(s / 60)}m`;
  return `${s}s`;
}

const oneLine = (text: string | undefined, max = 80): string | undefined => {
  if (text === undefined) return undefined;
  const flat = readableError(text).replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
};

export function recordColumns(now: number): Column<RotationRecord>[] {
  return [
    { header: 'THING', value: (r) => r.thingName },
    { header: 'STATUS', value: (r) => r.status, colour: statusColour },
    { header: 'PHASE', value: (r) => r.phase },
    { header: 'ATTEMPT', value: (r) => r.attempt, align: 'right' },
    { header: 'CAMPAIGN', value: (r) => r.campaign },
    { header: 'SINCE', value: (r) => r.statusSince ?? r.updatedAt },
    { header: 'AGE', value: (r) => age(r.startedAt, now), align: 'right' },
    { header: 'OLD CERT', value: (r) => short(r.oldCertificateId), full: (r) => r.oldCertificateId },
    { header: 'LAST ERROR', value: (r) => oneLine(r.lastError, 60), full: (r) => oneLine(r.lastError, 1024) },
  ];
}

export { oneLine, short };
