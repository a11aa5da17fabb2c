import { DAYS_OF_WEEK, type ScheduledAudit } from './audit-model.ts';

const DAY_MS = 86_400_000;

function startOfUtcDay(time: number): number {
  return Math.floor(time / DAY_MS) * DAY_MS;
}

/**
 * When a scheduled audit runs next, strictly after `after`. AWS leaves the time of day to the
 * service; locally every audit runs at 00:00 UTC on its day: DAILY every day, WEEKLY on
 * `dayOfWeek`, BIWEEKLY on every other `dayOfWeek` counted from the first after creation, MONTHLY
 * on `dayOfMonth` (LAST, or a day the month lacks, means the month's last day).
 */
export function nextRun(audit: ScheduledAudit, after: number): number {
  const tomorrow = startOfUtcDay(after) + DAY_MS;
  switch (audit.frequency) {
    case 'DAILY':
      return tomorrow;
    case 'WEEKLY':
      return nextWeekday(tomorrow, weekday(audit));
    case 'BIWEEKLY': {
      const first = nextWeekday(startOfUtcDay(audit.createdAt) + DAY_MS, weekday(audit));
      let candidate = nextWeekday(tomorrow, weekday(audit));
      if (((candidate - first) / DAY_MS / 7) % 2 !== 0) candidate += 7 * DAY_MS;
      return Math.max(candidate, first);
    }
    case 'MONTHLY': {
      const date = new Date(tomorrow);
      for (let months = 0; ; months++) {
        const year = date.getUTCFullYear();
        const month = date.getUTCMonth() + months;
        const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
        const wanted =
          audit.dayOfMonth === undefined || audit.dayOfMonth === 'LAST' ? last : Number(audit.dayOfMonth);
        const run = Date.UTC(year, month, Math.min(wanted, last));
        if (run >= tomorrow) return run;
      }
    }
  }
}

function weekday(audit: ScheduledAudit): number {
  return DAYS_OF_WEEK.indexOf(audit.dayOfWeek ?? 'SUN');
}

/** The first day at or after `day` (a UTC midnight) that falls on `wanted` (0 = Sunday). */
function nextWeekday(day: number, wanted: number): number {
  const current = new Date(day).getUTCDay();
  return day + ((wanted - current + 7) % 7) * DAY_MS;
}
