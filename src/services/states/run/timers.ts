// Timers of Wait states and retry delays (a Standard execution keeps its wake time in its checkpoint): one clock timer serves the earliest due.
import type { Clock } from '../../../lib/clock.js';

interface Entry {
  at: number;
  fire: () => void;
  id: number;
}

/** Keeps due times sorted and arms a single clock timer for the earliest one (never one timer per execution). */
export class TimerWheel {
  private entries: Entry[] = [];
  private cancel?: () => void;
  private armedAt = Infinity;
  private seq = 0;
  constructor(private readonly clock: Clock) {}

  /** Resolves at `at` (clock ms); the returned cancel drops the entry. */
  at(at: number, fire: () => void): () => void {
    const e = { at, fire, id: ++this.seq };
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid]!.at <= at) lo = mid + 1;
      else hi = mid;
    }
    this.entries.splice(lo, 0, e);
    this.arm();
    return () => {
      this.entries = this.entries.filter((x) => x.id !== e.id);
    };
  }

  private arm(): void {
    const first = this.entries[0];
    if (!first) return;
    if (first.at >= this.armedAt && this.cancel) return;
    this.cancel?.();
    this.armedAt = first.at;
    this.cancel = this.clock.setTimer(first.at - this.clock.now(), () => this.tick());
  }

  private tick(): void {
    this.cancel = undefined;
    this.armedAt = Infinity;
    const now = this.clock.now();
    while (this.entries[0] && this.entries[0].at <= now) this.entries.shift()!.fire();
    this.arm();
  }

  close(): void {
    this.cancel?.();
    this.entries = [];
  }
}
