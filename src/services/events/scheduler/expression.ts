// Scheduler expressions: `at(yyyy-mm-ddThh:mm:ss)`, `rate(n unit)` and six-field `cron(...)` evaluated in an IANA
// time zone (Intl gives the zone's offsets and daylight-saving changes), StartDate/EndDate windows and the flexible
// time window's offset. Pure functions of their input: the same on every node.
import { createHash } from 'node:crypto';
import { nextFire as cronNext, parseSchedule, type Schedule } from '../cron.js';

export type Expression = { kind: 'at'; wall: number } | { kind: 'rate'; periodMs: number } | { kind: 'cron'; schedule: Schedule };

/** The expression, or undefined when AWS would refuse it (the caller answers `Invalid Schedule Expression …`). */
export function parseExpression(expr: string): Expression | undefined {
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expr);
  if (at) {
    const [y, mo, d, h, mi, s] = at.slice(1).map(Number) as [number, number, number, number, number, number];
    const wall = Date.UTC(y, mo - 1, d, h, mi, s);
    const back = new Date(wall);
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
    return { kind: 'at', wall };
  }
  if (!/^(rate|cron)\(.*\)$/.test(expr)) return undefined;
  try {
    const schedule = parseSchedule(expr);
    return schedule.kind === 'rate' ? { kind: 'rate', periodMs: schedule.periodMs } : { kind: 'cron', schedule };
  } catch {
    return undefined;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** True when Intl knows the zone (IANA names such as `Europe/Berlin`, and `UTC`). */
export function validTimezone(tz: string): boolean {
  try {
    format(tz);
    return true;
  } catch {
    return false;
  }
}

function format(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(tz, f);
  }
  return f;
}

/** The wall-clock time in `tz` at instant `utc`, as a UTC-based number (fields read with getUTC*). */
export function wallOf(utc: number, tz: string): number {
  const seconds = Math.floor(utc / 1000) * 1000;
  const p: Record<string, number> = {};
  for (const part of format(tz).formatToParts(new Date(seconds))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']! % 24, p['minute']!, p['second']!) + (utc - seconds);
}

/** The instants whose wall clock in `tz` reads `wall`: none in a spring-forward gap, two in a fall-back hour. */
export function instantsOf(wall: number, tz: string): number[] {
  const out = new Set<number>();
  for (const probe of [wall - 43_200_000, wall + 43_200_000]) {
    const offset = wallOf(probe, tz) - probe;
    const candidate = wall - offset;
    if (wallOf(candidate, tz) === wall) out.add(candidate);
  }
  return [...out].sort((a, b) => a - b);
}

export interface Timing {
  expression: Expression;
  timezone: string;
  /** When rate() periods count from (the schedule's StartDate, else when it was created or last updated). */
  anchor: number;
  startDate?: number;
  endDate?: number;
}

/**
 * The first scheduled time strictly after `after`, or undefined when the schedule has no more. A cron time that
 * does not exist on a spring-forward day is skipped; one that occurs twice on a fall-back day fires once, as AWS does.
 * StartDate and EndDate bound recurring schedules; a one-time schedule ignores them.
 */
export function nextTime(t: Timing, after: number): number | undefined {
  const e = t.expression;
  if (e.kind === 'at') {
    const at = instantsOf(e.wall, t.timezone)[0] ?? e.wall - (wallOf(e.wall, t.timezone) - e.wall);
    return at > after ? at : undefined;
  }
  const from = t.startDate !== undefined ? Math.max(after, t.startDate - 1) : after;
  let next: number | undefined;
  if (e.kind === 'rate') {
    const k = Math.floor((from - t.anchor) / e.periodMs) + 1;
    next = t.anchor + Math.max(1, k) * e.periodMs;
  } else {
    let wall = wallOf(from, t.timezone);
    for (let guard = 0; guard < 1000 && next === undefined; guard++) {
      const w = cronNext(e.schedule, wall);
      if (w === undefined) return undefined;
      const instants = instantsOf(w, t.timezone);
      if (instants.length > 0 && instants[0]! > from) next = instants[0];
      wall = w;
    }
  }
  if (next === undefined || (t.endDate !== undefined && next > t.endDate)) return undefined;
  return next;
}

/** The offset into a flexible time window of one scheduled time: the same on every node, spread over the window. */
export function flexOffset(scheduleArn: string, scheduledTime: number, windowMinutes: number): number {
  const h = createHash('sha256').update(`${scheduleArn}@${scheduledTime}`).digest();
  return h.readUInt32BE(0) % (windowMinutes * 60_000);
}
