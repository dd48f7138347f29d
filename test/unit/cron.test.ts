// Unit: EventBridge schedule expressions: AWS's validation and next fire times (UTC) for rate() and cron().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextFire, parseSchedule, ScheduleError } from '../../src/services/events/cron.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const next = (expr: string, after: string) => iso(nextFire(parseSchedule(expr), at(after)));
/** The next n fire times. */
function series(expr: string, after: string, n: number): string[] {
  const s = parseSchedule(expr);
  const out: string[] = [];
  let t = at(after);
  for (let i = 0; i < n; i++) {
    t = nextFire(s, t)!;
    out.push(new Date(t).toISOString().slice(0, 16));
  }
  return out;
}

test('Cron: rate() takes a positive value with a singular unit for 1 and a plural unit otherwise', () => {
  for (const ok of ['rate(1 minute)', 'rate(5 minutes)', 'rate(1 hour)', 'rate(2 hours)', 'rate(1 day)', 'rate(7 days)']) parseSchedule(ok);
  for (const badExpr of ['rate(1 minutes)', 'rate(5 minute)', 'rate(0 minutes)', 'rate(-1 minutes)', 'rate(1 second)', 'rate(1.5 hours)', 'rate(1  minute)', 'rate()', 'every 5 minutes']) {
    assert.throws(() => parseSchedule(badExpr), (e: unknown) => e instanceof ScheduleError && e.message === 'Parameter ScheduleExpression is not valid.', badExpr);
  }
});

test('Cron: rate() fires one period after its anchor, then every period; missed periods are not replayed', () => {
  const s = parseSchedule('rate(5 minutes)');
  const anchor = at('2026-01-01T00:00:30Z');
  assert.equal(iso(nextFire(s, anchor, anchor)), '2026-01-01T00:05:30.000Z');
  // After a long outage the next fire is the next period boundary after now, not a backlog of old ones.
  assert.equal(iso(nextFire(s, at('2026-01-01T03:07:00Z'), anchor)), '2026-01-01T03:10:30.000Z');
});

test('Cron: six fields with exactly one of day-of-month and day-of-week as ?', () => {
  for (const ok of ['cron(0 10 * * ? *)', 'cron(15 12 ? * MON-FRI *)', 'cron(0/15 * * * ? *)', 'cron(0 8 1 JAN,JUL ? 2027)', 'cron(0 18 ? * 6L *)', 'cron(0 9 ? * 2#1 *)', 'cron(0 9 LW * ? *)', 'cron(0 9 15W * ? *)', 'cron(0 0 L * ? *)']) {
    parseSchedule(ok);
  }
  for (const badExpr of [
    'cron(0 10 * * * *)', // both days given
    'cron(0 10 ? * ? *)', // neither
    'cron(0 10 * * ?)', // five fields
    'cron(60 10 * * ? *)',
    'cron(0 24 * * ? *)',
    'cron(0 0 32 * ? *)',
    'cron(0 0 ? 13 MON *)',
    'cron(0 0 ? * 8 *)',
    'cron(0 0 ? * MON#6 *)',
    'cron(0 0 * * ? 1969)',
    'cron(0 0 5-1 * ? *)',
    'cron(a b c d e f)',
  ]) {
    assert.throws(() => parseSchedule(badExpr), ScheduleError, badExpr);
  }
});

test('Cron: next fire times for ranges, steps, names, L, W and # in UTC', () => {
  assert.equal(next('cron(0 10 * * ? *)', '2026-03-10T10:00:00Z'), '2026-03-11T10:00:00.000Z');
  assert.equal(next('cron(0 10 * * ? *)', '2026-03-10T09:59:59Z'), '2026-03-10T10:00:00.000Z');
  assert.deepEqual(series('cron(0/15 * * * ? *)', '2026-03-10T10:07:00Z', 3), ['2026-03-10T10:15', '2026-03-10T10:30', '2026-03-10T10:45']);
  // Weekdays only: Friday 2026-03-13 12:15 → Monday 2026-03-16.
  assert.deepEqual(series('cron(15 12 ? * MON-FRI *)', '2026-03-13T12:15:00Z', 2), ['2026-03-16T12:15', '2026-03-17T12:15']);
  // Last day of month, including February of a leap year.
  assert.deepEqual(series('cron(0 0 L * ? *)', '2028-01-31T00:00:00Z', 3), ['2028-02-29T00:00', '2028-03-31T00:00', '2028-04-30T00:00']);
  // Last Friday (6L) of the month.
  assert.deepEqual(series('cron(0 18 ? * 6L *)', '2026-01-01T00:00:00Z', 2), ['2026-01-30T18:00', '2026-02-27T18:00']);
  // First Monday (2#1).
  assert.deepEqual(series('cron(0 9 ? * 2#1 *)', '2026-01-01T00:00:00Z', 3), ['2026-01-05T09:00', '2026-02-02T09:00', '2026-03-02T09:00']);
  // Nearest weekday to the 15th: 2026-02-15 is a Sunday → Monday 16th; 2026-08-15 is a Saturday → Friday 14th.
  assert.equal(next('cron(0 9 15W * ? *)', '2026-02-01T00:00:00Z'), '2026-02-16T09:00:00.000Z');
  assert.equal(next('cron(0 9 15W * ? *)', '2026-08-01T00:00:00Z'), '2026-08-14T09:00:00.000Z');
  // Last weekday of the month: 2026-05-31 is a Sunday → Friday 29th.
  assert.equal(next('cron(0 9 LW * ? *)', '2026-05-01T00:00:00Z'), '2026-05-29T09:00:00.000Z');
  // Months by name and a fixed year; after the last one there is no next fire.
  assert.deepEqual(series('cron(0 8 1 JAN,JUL ? 2027)', '2026-06-01T00:00:00Z', 2), ['2027-01-01T08:00', '2027-07-01T08:00']);
  assert.equal(next('cron(0 8 1 JAN,JUL ? 2027)', '2027-07-01T08:00:00Z'), undefined);
  // Saturday alone as L in day-of-week.
  assert.equal(next('cron(0 0 ? * L *)', '2026-03-10T00:00:00Z'), '2026-03-14T00:00:00.000Z');
});
