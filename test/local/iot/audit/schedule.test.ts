import { describe, expect, it } from 'vitest';
import type { ScheduledAudit } from '../../../../local/iot/audit/audit-model.ts';
import { nextRun } from '../../../../local/iot/audit/schedule.ts';

// 2026-01-01 is a Thursday.
const CREATED = Date.UTC(2026, 0, 1, 15, 30);

function audit(extra: Partial<ScheduledAudit>): ScheduledAudit {
  return {
    scheduledAuditName: 'a',
    frequency: 'DAILY',
    targetCheckNames: ['X'],
    createdAt: CREATED,
    ...extra,
  };
}

describe('scheduled audit times', () => {
  it.each([
    ['DAILY', {}, CREATED, Date.UTC(2026, 0, 2)],
    ['DAILY at midnight runs the next day', {}, Date.UTC(2026, 0, 2), Date.UTC(2026, 0, 3)],
    ['WEEKLY MON', { frequency: 'WEEKLY', dayOfWeek: 'MON' }, CREATED, Date.UTC(2026, 0, 5)],
    ['WEEKLY THU skips today', { frequency: 'WEEKLY', dayOfWeek: 'THU' }, CREATED, Date.UTC(2026, 0, 8)],
    ['BIWEEKLY MON first', { frequency: 'BIWEEKLY', dayOfWeek: 'MON' }, CREATED, Date.UTC(2026, 0, 5)],
    [
      'BIWEEKLY MON second',
      { frequency: 'BIWEEKLY', dayOfWeek: 'MON' },
      Date.UTC(2026, 0, 5),
      Date.UTC(2026, 0, 19),
    ],
    ['MONTHLY 15', { frequency: 'MONTHLY', dayOfMonth: '15' }, CREATED, Date.UTC(2026, 0, 15)],
    [
      'MONTHLY 31 in February',
      { frequency: 'MONTHLY', dayOfMonth: '31' },
      Date.UTC(2026, 1, 1),
      Date.UTC(2026, 1, 28),
    ],
    [
      'MONTHLY LAST',
      { frequency: 'MONTHLY', dayOfMonth: 'LAST' },
      Date.UTC(2026, 0, 31),
      Date.UTC(2026, 1, 28),
    ],
  ] as const)('%s', (_name, extra, after, expected) => {
    expect(new Date(nextRun(audit(extra), after)).toISOString()).toBe(new Date(expected).toISOString());
  });
});
