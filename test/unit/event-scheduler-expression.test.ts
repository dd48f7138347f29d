// Unit: EventBridge Scheduler expressions and next fire times in time zones (DST changes included), on fixed instants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/lib/clock.js';
import { flexOffset, instantsOf, nextTime, parseExpression, validTimezone, wallOf, type Timing } from '../../src/services/events/scheduler/expression.js';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const timing = (expr: string, timezone = 'UTC', extra: Partial<Timing> = {}): Timing => ({ expression: parseExpression(expr)!, timezone, anchor: 0, ...extra });

test('Scheduler expressions: at(), rate() and cron() parse as AWS accepts them; the rest is refused', () => {
  for (const ok of ['at(2026-03-01T10:00:00)', 'rate(1 minute)', 'rate(5 hours)', 'cron(0 18 ? * MON-FRI *)', 'cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)']) {
    assert.ok(parseExpression(ok), ok);
  }
  for (const bad of ['at(2021-12-31T23:59:59Z)', 'at(2021-12-31)', 'at(2026-02-30T10:00:00)', 'rate(10 seconds)', 'rate(1 minutes)', 'rate(-10 minutes)', ' rate(10 minutes)', 'cron(0 1 * * * *)', 'cron(71 8 1 * ? *)', 'cron()']) {
    assert.equal(parseExpression(bad), undefined, bad);
  }
  assert.ok(validTimezone('America/New_York'));
  assert.equal(validTimezone('Mars/Olympus'), false);
});

test('Scheduler expressions: at() is a wall time in its zone and fires once', () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const t = timing('at(2026-07-01T09:30:00)', 'Europe/Berlin');
  assert.equal(iso(nextTime(t, clock.now())), '2026-07-01T07:30:00.000Z', 'CEST is UTC+2');
  assert.equal(nextTime(t, Date.UTC(2026, 6, 1, 7, 30)), undefined, 'never again');
});

test('Scheduler expressions: cron() follows the zone across the spring and autumn DST changes', () => {
  const daily = timing('cron(30 8 * * ? *)', 'America/New_York');
  // 8:30 EST is 13:30Z; after the change on 8 March 2026, 8:30 EDT is 12:30Z.
  assert.equal(iso(nextTime(daily, Date.UTC(2026, 2, 7, 0))), '2026-03-07T13:30:00.000Z');
  assert.equal(iso(nextTime(daily, Date.UTC(2026, 2, 7, 14))), '2026-03-08T12:30:00.000Z');
  // 2:30 does not exist on 8 March 2026 in New York: that day is skipped.
  const gap = timing('cron(30 2 * * ? *)', 'America/New_York');
  assert.equal(iso(nextTime(gap, Date.UTC(2026, 2, 7, 8))), '2026-03-09T06:30:00.000Z');
  // 1:30 happens twice on 1 November 2026: it fires once, at the first.
  const twice = timing('cron(30 1 * * ? *)', 'America/New_York');
  const first = nextTime(twice, Date.UTC(2026, 10, 1, 0));
  assert.equal(iso(first), '2026-11-01T05:30:00.000Z');
  assert.equal(iso(nextTime(twice, first!)), '2026-11-02T06:30:00.000Z');
  assert.deepEqual(instantsOf(Date.UTC(2026, 10, 1, 1, 30), 'America/New_York').map(iso), ['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z']);
  assert.equal(iso(wallOf(Date.UTC(2026, 5, 1, 12), 'Asia/Kolkata')), '2026-06-01T17:30:00.000Z');
});

test('Scheduler expressions: rate() counts from its anchor; StartDate and EndDate bound recurring schedules', () => {
  const anchor = Date.UTC(2026, 0, 1, 0, 0);
  const t = timing('rate(10 minutes)', 'UTC', { anchor });
  assert.equal(iso(nextTime(t, anchor)), '2026-01-01T00:10:00.000Z');
  assert.equal(iso(nextTime(t, anchor + 25 * 60_000)), '2026-01-01T00:30:00.000Z');
  const bounded = timing('cron(0 * * * ? *)', 'UTC', { startDate: Date.UTC(2026, 0, 2, 5), endDate: Date.UTC(2026, 0, 2, 7) });
  assert.equal(iso(nextTime(bounded, anchor)), '2026-01-02T05:00:00.000Z');
  assert.equal(iso(nextTime(bounded, Date.UTC(2026, 0, 2, 7))), undefined);
});

test('Scheduler expressions: a flexible window offset is the same everywhere and stays inside the window', () => {
  const a = flexOffset('arn:aws:scheduler:us-east-1:000000000000:schedule/default/x', 1_000_000, 15);
  assert.equal(a, flexOffset('arn:aws:scheduler:us-east-1:000000000000:schedule/default/x', 1_000_000, 15));
  assert.ok(a >= 0 && a < 15 * 60_000);
});
