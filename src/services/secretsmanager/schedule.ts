// Rotation schedules: RotationRules (AutomaticallyAfterDays, ScheduleExpression rate()/cron(), Duration) parsed
// with Secrets Manager's limits, and the next rotation time they give after a rotation.
import * as E from './errors.js';

export interface RotationRules {
  AutomaticallyAfterDays?: number;
  Duration?: string;
  ScheduleExpression?: string;
}

/** A parsed schedule: every `periodMs` after the last rotation, or the next time a cron expression matches. */
export type Schedule = { kind: 'rate'; periodMs: number } | { kind: 'cron'; fields: CronFields };

interface CronFields { minute: Set<number>; hour: Set<number>; dom: Set<number> | '?'; month: Set<number>; dow: Set<number> | '?'; year: Set<number> | '*' }

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Validates the rules as Secrets Manager does and gives their schedule. */
export function parseRules(r: RotationRules): Schedule {
  const days = r.AutomaticallyAfterDays;
  const expr = r.ScheduleExpression;
  if (days !== undefined && expr !== undefined) throw E.invalidParam('You can only specify one of AutomaticallyAfterDays or ScheduleExpression.');
  let s: Schedule;
  if (days !== undefined) {
    if (!Number.isInteger(days) || days < 1 || days > 1000) throw E.invalidParam('The AutomaticallyAfterDays value must be between 1 and 1000 days.');
    s = { kind: 'rate', periodMs: days * DAY };
  } else if (expr !== undefined) {
    s = parseExpression(expr);
  } else throw E.invalidParam('You must specify either AutomaticallyAfterDays or ScheduleExpression in RotationRules.');
  if (r.Duration !== undefined) {
    const m = /^(\d+)h$/.exec(r.Duration);
    const hours = m ? Number(m[1]) : NaN;
    if (!(hours >= 1 && hours <= 24)) throw E.invalidParam('The Duration value must be between 1h and 24h.');
    if (s.kind === 'rate' && hours * HOUR > s.periodMs) throw E.invalidParam('The rotation window (Duration) must be shorter than the rotation interval.');
  }
  return s;
}

function parseExpression(expr: string): Schedule {
  const rate = /^rate\((\d+) (hours?|days?)\)$/.exec(expr.trim());
  if (rate) {
    const n = Number(rate[1]);
    if (rate[2]!.startsWith('hour')) {
      if (n < 4 || n > 23) throw E.invalidParam('The rotation interval in hours must be between 4 and 23 hours. For longer intervals, use days.');
      return { kind: 'rate', periodMs: n * HOUR };
    }
    if (n < 1 || n > 1000) throw E.invalidParam('The rotation interval must be between 1 and 1000 days.');
    return { kind: 'rate', periodMs: n * DAY };
  }
  const cron = /^cron\((.+)\)$/.exec(expr.trim());
  const parts = cron ? cron[1]!.trim().split(/\s+/) : [];
  const bad = (): never => {
    throw E.invalidParam(`Invalid ScheduleExpression: ${expr}`);
  };
  if (parts.length !== 6) bad();
  const [mi, ho, dom, mo, dow, yr] = parts as [string, string, string, string, string, string];
  const field = (text: string, lo: number, hi: number, names: string[] = []): Set<number> => {
    const out = new Set<number>();
    for (const item of text.split(',')) {
      const [range, stepText] = item.split('/') as [string, string | undefined];
      const step = stepText === undefined ? 1 : Number(stepText);
      const num = (t: string): number => {
        const i = names.indexOf(t.toUpperCase());
        const v = i >= 0 ? i + lo : Number(t);
        if (!Number.isInteger(v) || v < lo || v > hi) bad();
        return v;
      };
      let a: number;
      let b: number;
      if (range === '*') [a, b] = [lo, hi];
      else if (range.includes('-')) [a, b] = range.split('-').map(num) as [number, number];
      else [a, b] = [num(range), stepText === undefined ? num(range) : hi];
      if (!Number.isInteger(step) || step < 1 || a > b) bad();
      for (let v = a; v <= b; v += step) out.add(v);
    }
    return out;
  };
  // One of day-of-month and day-of-week is `?`, as in EventBridge's cron.
  if ((dom === '?') === (dow === '?')) bad();
  return {
    kind: 'cron',
    fields: {
      minute: field(mi, 0, 59),
      hour: field(ho, 0, 23),
      dom: dom === '?' ? '?' : field(dom, 1, 31),
      month: field(mo, 1, 12, ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']),
      dow: dow === '?' ? '?' : field(dow, 1, 7, ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']),
      year: yr === '*' ? '*' : field(yr, 1970, 2199),
    },
  };
}

/** The next rotation (epoch ms) after one at `last`, for a schedule evaluated at `now` (cron: the next match after now). */
export function nextRotation(s: Schedule, last: number, now: number): number | undefined {
  if (s.kind === 'rate') return last + s.periodMs;
  const f = s.fields;
  // Day by day (UTC) for up to ten years, then the first matching hour and minute of that day.
  const start = new Date(Math.floor(now / 60_000) * 60_000 + 60_000);
  for (let d = 0; d < 3660; d++) {
    const day = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + d));
    if (f.year !== '*' && !f.year.has(day.getUTCFullYear())) continue;
    if (!f.month.has(day.getUTCMonth() + 1)) continue;
    if (f.dom !== '?' && !f.dom.has(day.getUTCDate())) continue;
    if (f.dow !== '?' && !f.dow.has(day.getUTCDay() + 1)) continue;
    for (const h of [...f.hour].sort((a, b) => a - b)) {
      for (const m of [...f.minute].sort((a, b) => a - b)) {
        const t = day.getTime() + h * HOUR + m * 60_000;
        if (t >= start.getTime()) return t;
      }
    }
  }
  return undefined;
}
