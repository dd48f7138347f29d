// EventBridge schedule expressions: `rate(value unit)` and six-field `cron(min hour dom month dow year)` in UTC,
// validated as AWS validates them, and the next fire time after a given instant.

export class ScheduleError extends Error {}

export type Schedule = { kind: 'rate'; periodMs: number } | { kind: 'cron'; cron: Cron };

interface Field {
  /** Allowed values (undefined = any). */
  values?: Set<number>;
}

interface Cron {
  minutes: Field;
  hours: Field;
  months: Field;
  years: Field;
  dom: DomSpec | undefined;
  dow: DowSpec | undefined;
}

type DomSpec = { kind: 'set'; values?: Set<number> } | { kind: 'last'; offset: number } | { kind: 'weekday'; day: number | 'L' };
type DowSpec = { kind: 'set'; values?: Set<number> } | { kind: 'last'; day: number } | { kind: 'nth'; day: number; n: number };

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const bad = (): ScheduleError => new ScheduleError('Parameter ScheduleExpression is not valid.');

/** Parses `rate(...)` or `cron(...)`; throws ScheduleError with AWS's message when invalid. */
export function parseSchedule(expr: string): Schedule {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expr);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!;
    if (n < 1 || (n === 1) !== !unit.endsWith('s')) throw bad();
    const ms = unit.startsWith('minute') ? 60_000 : unit.startsWith('hour') ? 3_600_000 : 86_400_000;
    return { kind: 'rate', periodMs: n * ms };
  }
  const cron = /^cron\((.*)\)$/.exec(expr);
  if (!cron) throw bad();
  const parts = cron[1]!.trim().split(/\s+/);
  if (parts.length !== 6) throw bad();
  const [mi, h, dom, mo, dow, y] = parts as [string, string, string, string, string, string];
  // Exactly one of day-of-month and day-of-week is `?`.
  if ((dom === '?') === (dow === '?')) throw bad();
  return {
    kind: 'cron',
    cron: {
      minutes: field(mi, 0, 59),
      hours: field(h, 0, 23),
      months: field(mo, 1, 12, MONTHS),
      years: field(y, 1970, 2199),
      dom: dom === '?' ? undefined : parseDom(dom),
      dow: dow === '?' ? undefined : parseDow(dow),
    },
  };
}

function num(s: string, min: number, max: number, names?: string[]): number {
  const named = names?.indexOf(s.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + min : /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw bad();
  return n;
}

/** A list of `*`, `n`, `a-b`, with optional `/step` (`*\/5`, `0/15`, `10-40/10`). */
function field(s: string, min: number, max: number, names?: string[]): Field {
  if (s === '*') return {};
  const values = new Set<number>();
  for (const part of s.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    if (part.split('/').length > 2) throw bad();
    const step = stepText === undefined ? 1 : num(stepText, 1, max - min + 1);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-');
      if (a === undefined || b === undefined || range.split('-').length !== 2) throw bad();
      [lo, hi] = [num(a, min, max, names), num(b, min, max, names)];
      if (hi < lo) throw bad();
    } else {
      lo = num(range, min, max, names);
      hi = stepText === undefined ? lo : max;
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values };
}

function parseDom(s: string): DomSpec {
  if (s === 'L') return { kind: 'last', offset: 0 };
  const lastOff = /^L-(\d+)$/.exec(s);
  if (lastOff) return { kind: 'last', offset: num(lastOff[1]!, 0, 30) };
  if (s === 'LW') return { kind: 'weekday', day: 'L' };
  const w = /^(\d+)W$/.exec(s);
  if (w) return { kind: 'weekday', day: num(w[1]!, 1, 31) };
  const f = field(s, 1, 31);
  return { kind: 'set', values: f.values };
}

function parseDow(s: string): DowSpec {
  // Alone, `L` is the last day of the week (Saturday); `nL` is the last day n of the month.
  if (s === 'L') return { kind: 'set', values: new Set([7]) };
  const last = /^(\w+)L$/.exec(s);
  if (last) return { kind: 'last', day: num(last[1]!, 1, 7, DAYS) };
  const nth = /^(\w+)#(\d)$/.exec(s);
  if (nth) return { kind: 'nth', day: num(nth[1]!, 1, 7, DAYS), n: num(nth[2]!, 1, 5) };
  const f = field(s, 1, 7, DAYS);
  return { kind: 'set', values: f.values };
}

const has = (f: Field, v: number): boolean => !f.values || f.values.has(v);
const daysIn = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();

function dayMatches(c: Cron, y: number, m: number, d: number): boolean {
  const len = daysIn(y, m);
  const dow = new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 1; // 1 = SUN
  if (c.dom) {
    const s = c.dom;
    if (s.kind === 'set') return !s.values || s.values.has(d);
    if (s.kind === 'last') return d === len - s.offset;
    // Nearest weekday (Mon–Fri) to the given day, without leaving the month.
    const target = s.day === 'L' ? len : Math.min(s.day, len);
    const tdow = new Date(Date.UTC(y, m - 1, target)).getUTCDay();
    let w = target;
    if (tdow === 6) w = target === 1 ? 3 : target - 1;
    else if (tdow === 0) w = target === len ? target - 2 : target + 1;
    return d === w;
  }
  const s = c.dow!;
  if (s.kind === 'set') return !s.values || s.values.has(dow);
  if (s.kind === 'last') return dow === s.day && d + 7 > len;
  return dow === s.day && Math.ceil(d / 7) === s.n;
}

/** The first fire time strictly after `after` (ms), or undefined when the schedule never fires again. */
export function nextFire(s: Schedule, after: number, anchor = after): number | undefined {
  if (s.kind === 'rate') {
    const k = Math.floor((after - anchor) / s.periodMs) + 1;
    return anchor + Math.max(1, k) * s.periodMs;
  }
  const c = s.cron;
  const t = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  let y = t.getUTCFullYear();
  let mo = t.getUTCMonth() + 1;
  let d = t.getUTCDate();
  let h = t.getUTCHours();
  let mi = t.getUTCMinutes();
  for (let guard = 0; guard < 200_000; guard++) {
    if (y > 2199) return undefined;
    if (!has(c.years, y)) {
      [y, mo, d, h, mi] = [y + 1, 1, 1, 0, 0];
      continue;
    }
    if (!has(c.months, mo)) {
      [mo, d, h, mi] = [mo + 1, 1, 0, 0];
      if (mo > 12) [y, mo] = [y + 1, 1];
      continue;
    }
    if (d > daysIn(y, mo) || !dayMatches(c, y, mo, d)) {
      [d, h, mi] = [d + 1, 0, 0];
      if (d > daysIn(y, mo)) [mo, d] = [mo + 1, 1];
      if (mo > 12) [y, mo] = [y + 1, 1];
      continue;
    }
    if (!has(c.hours, h)) {
      [h, mi] = [h + 1, 0];
      if (h > 23) [d, h] = [d + 1, 0];
      if (d > daysIn(y, mo)) [mo, d] = [mo + 1, 1];
      if (mo > 12) [y, mo] = [y + 1, 1];
      continue;
    }
    if (!has(c.minutes, mi)) {
      mi++;
      if (mi > 59) [h, mi] = [h + 1, 0];
      if (h > 23) [d, h] = [d + 1, 0];
      if (d > daysIn(y, mo)) [mo, d] = [mo + 1, 1];
      if (mo > 12) [y, mo] = [y + 1, 1];
      continue;
    }
    return Date.UTC(y, mo - 1, d, h, mi);
  }
  return undefined;
}
