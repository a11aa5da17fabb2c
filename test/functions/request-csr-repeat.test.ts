import { describe, expect, it } from 'vitest';
import { isRepeatAfterTimeout } from '../../functions/rotation-steps/request-csr/request-csr.ts';
import type { RotationRecord } from '../../functions/shared/rotation-record.ts';
import { claimedRecord, csrRequestInput } from './harness.ts';
import { NEXT_ROTATION_ID, ROTATION_ID } from './rotation-ids.ts';

const input = csrRequestInput({ taskToken: 'token-after-timeout', attempt: 2 });
/** The record as the previous request of the same rotationId and attempt left it. */
const waiting = (o: Partial<RotationRecord> = {}): RotationRecord =>
  claimedRecord({
    phase: 'AWAITING_CSR',
    rotationId: ROTATION_ID,
    attempt: 2,
    taskToken: 'token-first',
    ...o,
  });

describe('request-csr: a request repeated after a timeout, told from the record it replaced', () => {
  it('is a repeat when the same request waited with another token and is still in progress', () => {
    expect(isRepeatAfterTimeout(waiting(), input)).toBe(true);
  });

  it.each([
    ['the first request of a rotation (the record was claimed)', claimedRecord()],
    ['the first request of another attempt', waiting({ attempt: 1 })],
    ['the first request under a new rotationId', waiting({ rotationId: NEXT_ROTATION_ID })],
    ['a CSR already arrived for it (the wait was answered)', waiting({ phase: 'CSR_RECEIVED' })],
    ['a retry of the same invocation (same token)', waiting({ taskToken: 'token-after-timeout' })],
    ['the retry of a request that could not be published', waiting({ csrRequestUnsent: `${ROTATION_ID}/2` })],
    ['a redrive of a rotation that failed while waiting', waiting({ status: 'FAILED' })],
  ])('is no repeat for %s', (_label, previous) => {
    expect(isRepeatAfterTimeout(previous, input)).toBe(false);
  });

  it('an unsent mark of another attempt does not hide a repeat', () => {
    expect(isRepeatAfterTimeout(waiting({ csrRequestUnsent: `${ROTATION_ID}/1` }), input)).toBe(true);
  });
});
