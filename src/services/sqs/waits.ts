// Waiting for messages on this node: long polls and onAvailable listeners, woken through the notifier channel of
// their queue (every node's senders notify after commit) and by one clock timer per queue for the next message
// becoming visible (a delay or a visibility timeout ending, found by SQL), with a slow safety re-check for changes
// no notification announces (a receive on another node). Never a tight poll.
import type { Clock } from '../../lib/clock.js';
import { hex } from '../../lib/ids.js';
import type { Notifier } from '../../store/index.js';

/** The longest a waiter goes without re-trying its claim when nothing is announced (e.g. another node's receive). */
export const SAFETY_MS = 5_000;

export const queueChannel = (arn: string): string => `sqs:${arn}`;

/**
 * The payload of a queue's notification: how many messages may have become visible (waiters to wake; empty: all),
 * for delayed ones when they become visible (so that the timer is set without a query), and the sending instance
 * (which woke its own waiters directly and ignores its echo).
 */
const hint = (from: string, count: number | undefined, visibleAt: number | undefined): string => `${count ?? ''}@${visibleAt ?? ''}#${from}`;
function parseHint(p: string): { count: number; at: number | undefined; from: string | undefined } {
  const m = /^(\d*)@(\d*)#(\w+)$/.exec(p);
  if (!m) return { count: Infinity, at: undefined, from: undefined };
  return { count: m[1] ? Number(m[1]) : Infinity, at: m[2] ? Number(m[2]) : undefined, from: m[3] };
}

interface Waiter {
  /** Tries the claim again (unless one is running); false when it was already running. */
  attempt(): boolean;
  cancel(): void;
}

class Watch {
  readonly waiters = new Set<Waiter>();
  readonly listeners = new Set<() => void>();
  unlisten: (() => void) | undefined;
  timer: { at: number; cancel: () => void } | undefined;
  arming = false;
  kickQueued = false;
  /** Waiters to wake at the next kick (the notifications' counts). */
  budget = 0;
  /** The last time waiters were woken or a timer found nothing visible: the next timer is for what follows it. */
  checkedAt = 0;
}

export interface WatchDeps {
  notifier: Notifier;
  clock: Clock;
  /** The earliest time after `after` that a message of the queue becomes visible, if any. */
  nextVisibleAt(arn: string, after: number): Promise<number | undefined>;
  /** Whether a message of the queue is visible now. */
  anyVisible(arn: string): Promise<boolean>;
  log(msg: string): void;
}

export class Watches {
  private readonly watches = new Map<string, Watch>();
  private released = false;
  /** This instance, in the hints it sends. */
  private readonly self = hex(6);

  constructor(private readonly d: WatchDeps) {}

  get releasing(): boolean {
    return this.released;
  }

  private watch(arn: string): Watch {
    let w = this.watches.get(arn);
    if (!w) {
      const watch = new Watch();
      watch.checkedAt = this.d.clock.now();
      watch.unlisten = this.d.notifier.listen(queueChannel(arn), (p) => {
        const h = parseHint(p);
        if (h.from !== this.self) this.kick(arn, h.count, h.at);
      });
      this.watches.set(arn, (w = watch));
    }
    return w;
  }

  private drop(arn: string, w: Watch): void {
    if (w.waiters.size > 0 || w.listeners.size > 0 || this.watches.get(arn) !== w) return;
    w.unlisten?.();
    w.timer?.cancel();
    this.watches.delete(arn);
  }

  /**
   * Something may have become visible in the queue: as many waiters as the hints announce re-try (all without a
   * count), every listener is called; once a turn however many notifications arrived.
   */
  kick(arn: string, count = Infinity, at?: number): void {
    const w = this.watches.get(arn);
    if (!w) return;
    w.budget += count;
    if (at !== undefined) this.timerAt(arn, w, at);
    if (w.kickQueued) return;
    w.kickQueued = true;
    queueMicrotask(() => {
      w.kickQueued = false;
      w.checkedAt = this.d.clock.now();
      let budget = w.budget;
      w.budget = 0;
      for (const x of w.waiters) {
        if (budget <= 0) break;
        if (x.attempt()) budget--;
      }
      for (const l of [...w.listeners]) {
        try {
          l();
        } catch (e) {
          this.d.log(`selfless: sqs onAvailable listener failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (!w.timer) this.arm(arn);
    });
  }

  /** Sets the queue's timer to `at` unless it is due earlier already. */
  private timerAt(arn: string, w: Watch, at: number): void {
    const now = this.d.clock.now();
    if (w.timer && w.timer.at <= at && w.timer.at > now) return;
    w.timer?.cancel();
    const timer = { at, cancel: (): void => undefined };
    timer.cancel = this.d.clock.setTimer(at - now, () => {
      if (w.timer === timer) w.timer = undefined;
      this.check(arn);
    });
    w.timer = timer;
  }

  /**
   * Tells this node's waiters at once and every other node through the notifier (after the commit that made up to
   * `count` messages visible, or visible at `visibleAt`; no count: anything may have changed).
   */
  announce(arn: string, count?: number, visibleAt?: number): void {
    this.kick(arn, count, visibleAt);
    this.d.notifier.notify(queueChannel(arn), hint(this.self, count, visibleAt));
  }

  /** A timer's wake-up: passed on only when a message is visible (the safety re-check mostly finds none). */
  private check(arn: string): void {
    const w = this.watches.get(arn);
    if (!w) return;
    w.checkedAt = this.d.clock.now();
    this.d.anyVisible(arn).then(
      (any) => (any ? this.kick(arn) : this.arm(arn)),
      (e: unknown) => this.d.log(`selfless: sqs wait check failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  /** Keeps the queue's one timer at the next message becoming visible, at most SAFETY_MS away. */
  arm(arn: string): void {
    const w = this.watches.get(arn);
    if (!w || w.arming) return;
    w.arming = true;
    this.d.nextVisibleAt(arn, w.checkedAt).then(
      (next) => {
        w.arming = false;
        if (this.watches.get(arn) !== w) return;
        const now = this.d.clock.now();
        if (next !== undefined && next <= now) return this.check(arn);
        this.timerAt(arn, w, Math.min(next ?? Infinity, now + SAFETY_MS));
      },
      (e: unknown) => {
        w.arming = false;
        this.d.log(`selfless: sqs wait timer failed: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  }

  /**
   * Waits until `attempt` yields something or `deadline` (on the clock) passes, re-trying when woken; an attempt
   * yielding null ends the wait empty (the queue is gone). An attempt in flight when the wait ends is awaited, so
   * that messages it claims are returned, never dropped.
   */
  wait<T>(arn: string, deadline: number, attempt: () => Promise<T[] | null>, signal?: AbortSignal): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      const w = this.watch(arn);
      let done = false;
      let busy = false;
      let again = false;
      let over = false;
      let cancelTimer: () => void = () => undefined;
      const finish = (r: T[], err?: unknown): void => {
        if (done) return;
        done = true;
        w.waiters.delete(waiter);
        cancelTimer();
        signal?.removeEventListener('abort', onEnd);
        this.drop(arn, w);
        if (err !== undefined) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve(r);
      };
      const run = (): boolean => {
        if (done) return false;
        if (busy) {
          again = true;
          return false;
        }
        busy = true;
        attempt().then(
          (got) => {
            busy = false;
            if (got === null) return finish([]);
            const r = got;
            // Got some: there may be more than the notifications counted (hints collapse), so pass the turn on.
            if (r.length > 0) this.kick(arn, 1);
            if (r.length > 0 || over) return finish(r);
            if (again) {
              again = false;
              run();
            }
          },
          (e: unknown) => {
            busy = false;
            finish([], e);
          },
        );
        return true;
      };
      const onEnd = (): void => {
        over = true;
        if (!busy) finish([]);
      };
      const waiter: Waiter = { attempt: run, cancel: onEnd };
      w.waiters.add(waiter);
      signal?.addEventListener('abort', onEnd);
      if (signal?.aborted || this.released) over = true;
      const left = deadline - this.d.clock.now();
      if (left <= 0) over = true;
      else cancelTimer = this.d.clock.setTimer(left, onEnd);
      run();
      if (!over) this.arm(arn);
    });
  }

  /** onAvailable: the listener is called whenever a message may have become visible in the queue, on any node. */
  listen(arn: string, fn: () => void): () => void {
    const w = this.watch(arn);
    w.listeners.add(fn);
    this.arm(arn);
    return () => {
      w.listeners.delete(fn);
      this.drop(arn, w);
    };
  }

  /** Ends every wait now (empty) and makes new ones return at once: the server is shutting down. */
  release(): void {
    this.released = true;
    for (const w of this.watches.values()) for (const x of [...w.waiters]) x.cancel();
  }

  close(): void {
    this.release();
    for (const [arn, w] of this.watches) {
      w.unlisten?.();
      w.timer?.cancel();
      this.watches.delete(arn);
    }
  }
}
