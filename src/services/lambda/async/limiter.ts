// Adaptive concurrency for one function's async events: short invocations get only as many environments as raise
// throughput; long ones scale to the cap at once.
//
// Every extra environment costs a cold start, memory, and colder caches in every runtime process. When invocations
// are short, a few warm environments already keep the machine's cores busy and more only slow each event down (on a
// 2-core machine 32 environments used 2.4× the runtime CPU per event of 4). So while the queue is backlogged, the
// limit climbs a step at a time and keeps a step only when the completion rate rose with it; every few seconds it
// tries one step up or down again. Functions whose invocations all take LONG_MS or more in a window (waiting on I/O,
// sleeping, heavy work) get the cap.

/** Completions are measured in windows of this length (ms), only while events wait for a slot. */
export const WINDOW_MS = 250;
/**
 * A window whose shortest Duration is at or above this (ms) marks a long-running function: it gets the full cap. The
 * shortest, not the mean, and well above a short function's: CPU contention (a busy machine, or the environments
 * themselves) and a runtime's first, unoptimised invocations stretch Durations of short functions to 10–40 ms, but
 * not all of a window's. Functions just under it still scale out, through the climb.
 */
export const LONG_MS = 50;
/**
 * A step up is kept when the rate rose by at least this share of the step (from 4 to 6 environments, +50%: the rate
 * must rise by 25%); noise and a runtime's warm-up rarely do that, work that truly runs in parallel does.
 */
const GAIN_SHARE = 0.5;
/** A step down is kept when the rate stayed at least 1 / DOWN_TOLERANCE of what it was. */
const DOWN_TOLERANCE = 1.03;
/** Windows of backlog before the first measurement: new runtimes are still warming up. */
const WARMUP_WINDOWS = 2;
/** Windows spent at an accepted level before the next trial step. */
const HOLD_WINDOWS = 20;

const up = (n: number): number => n + Math.max(1, Math.floor(n / 2));

export class AdaptiveLimit {
  private limit: number;
  private windowStart: number | undefined;
  private completions = 0;
  private minDuration = Infinity;
  private starved = false;
  /** The first window after a change is not measured (a new environment may still be starting). */
  private settling = false;
  private warmup = WARMUP_WINDOWS;
  /** The accepted level and the rate it gave; undefined until the first measurement (or after a long phase). */
  private base: { limit: number; rate: number } | undefined;
  private trial = false;
  private hold = 0;
  private nextTrialUp = true;
  private long = false;

  constructor(
    private cap: number,
    private readonly initial = 2,
  ) {
    this.limit = Math.min(cap, initial);
  }

  /** Events of this function that may run at once now. */
  get current(): number {
    return Math.max(1, Math.min(this.limit, this.cap));
  }

  /** The cap moved (reserved concurrency or the configured per-function maximum). */
  setCap(cap: number): void {
    if (cap === this.cap) return;
    this.cap = cap;
    if (this.long) this.limit = cap;
  }

  /** A slot went unused for want of events: this window measures demand, not capacity. */
  starve(): void {
    this.starved = true;
  }

  /** One invocation finished at `now` (ms) after running `durationMs` in its environment. */
  completed(now: number, durationMs: number): void {
    if (this.windowStart === undefined) this.windowStart = now;
    this.completions++;
    if (durationMs < this.minDuration) this.minDuration = durationMs;
    const elapsed = now - this.windowStart;
    if (elapsed < WINDOW_MS) return;
    const rate = (this.completions * 1000) / elapsed;
    const shortest = this.minDuration;
    const measured = !this.starved && !this.settling;
    this.windowStart = now;
    this.completions = 0;
    this.minDuration = Infinity;
    this.starved = false;
    this.settling = false;
    // Without a backlog there is nothing to scale for (and a new runtime's first, slow invocations say little).
    if (!measured) return;
    if (shortest >= LONG_MS) {
      this.enterLong();
      return;
    }
    if (this.long) {
      // Back from a long phase: climb again from the start.
      this.long = false;
      this.trial = false;
      this.set(Math.min(this.cap, this.initial));
      return;
    }
    if (this.warmup > 0) {
      this.warmup--;
      return;
    }
    this.step(rate);
  }

  private enterLong(): void {
    this.long = true;
    this.base = undefined;
    this.trial = false;
    this.set(this.cap);
  }

  private step(rate: number): void {
    const base = this.base;
    if (!base) {
      this.base = { limit: this.limit, rate };
      this.tryLimit(up(this.limit));
      return;
    }
    if (this.trial) {
      this.trial = false;
      const kept = this.limit > base.limit ? rate >= base.rate * (1 + GAIN_SHARE * (this.limit / base.limit - 1)) : rate * DOWN_TOLERANCE >= base.rate;
      if (kept) {
        this.base = { limit: this.limit, rate };
        // A step up that paid off is followed by another at once.
        if (this.limit > base.limit) return this.tryLimit(up(this.limit));
      } else {
        this.set(base.limit);
      }
      this.hold = HOLD_WINDOWS;
      return;
    }
    base.rate = (base.rate + rate) / 2;
    if (--this.hold > 0) return;
    const next = this.nextTrialUp ? up(this.limit) : this.limit - 1;
    this.nextTrialUp = !this.nextTrialUp;
    this.tryLimit(next);
  }

  private tryLimit(n: number): void {
    const next = Math.max(1, Math.min(this.cap, n));
    if (next === this.limit) {
      this.hold = HOLD_WINDOWS;
      return;
    }
    this.trial = true;
    this.set(next);
  }

  private set(n: number): void {
    if (n !== this.limit) this.settling = true;
    this.limit = n;
  }
}
