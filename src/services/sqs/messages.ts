// One queue's messages in memory: visibility lifecycle (delayed → ready → in flight → ready | gone), FIFO groups,
// retention and redrive decisions. Persistence and DLQ moves are delegated to the owner through a Sink.
//
// Transition table (anything else is a bug and throws):
//   delayed  → ready            when its delay ends
//   ready    → inflight         when received
//   inflight → ready            when its visibility timeout ends (or is changed to 0)
//   inflight → inflight         ChangeMessageVisibility
//   any      → gone             deleted, purged, expired (retention) or moved to the dead-letter queue
import type { Clock } from '../../lib/clock.js';
import type { MessageAttribute } from './broker.js';
import { Deque, TimeHeap } from './heap.js';

export type MsgState = 'delayed' | 'ready' | 'inflight' | 'gone';

export interface Msg {
  id: string;
  /** Order of arrival within the queue (also the FIFO SequenceNumber's source). */
  seq: number;
  body: string;
  md5Body: string;
  attrs: Record<string, MessageAttribute>;
  md5Attrs: string | undefined;
  /** Message system attributes sent with the message (AWSTraceHeader). */
  sysAttrs: Record<string, MessageAttribute>;
  sentTs: number;
  senderId: string;
  groupId?: string;
  dedupId?: string;
  seqNumber?: string;
  dlqSource?: string;
  receiveCount: number;
  firstReceiveTs: number;
  /** The current receive's receipt handle (memory only). */
  receipt?: { count: number; handle: string };
  /** When the current receive happened (memory only): visibility may not be extended past 12 hours from it. */
  receivedAt?: number;
  visibleAt: number;
  state: MsgState;
  /** Bumped on every transition; heap and ready-list entries carrying an older gen are stale. */
  gen: number;
}

export interface QueueRules {
  retentionMs: number;
  redrive?: { maxReceiveCount: number };
}

export interface Sink {
  /** The message was received (receive count and visibility changed). */
  received(m: Msg): void;
  /** The message left the queue because its retention period passed. */
  expired(m: Msg): void;
  /** Moves the message to the dead-letter queue; false when there is none (the message then stays). */
  redrive(m: Msg): boolean;
  /** Messages may have become visible. */
  available(): void;
}

/** A FIFO message group: messages in send order from `head` on (gone ones are skipped), `live` still in the queue. */
interface Group {
  items: Msg[];
  head: number;
  live: number;
}

const ALLOWED: Record<MsgState, MsgState[]> = {
  delayed: ['ready', 'gone'],
  ready: ['inflight', 'gone'],
  inflight: ['ready', 'inflight', 'gone'],
  gone: [],
};

export class MessageQueue {
  readonly messages = new Map<string, Msg>();
  private readonly waiting = new TimeHeap<Msg>();
  private readonly ready = new Deque<{ m: Msg; gen: number }>();
  /** FIFO only: messages per group in send order, and how many of each group are in flight. */
  private readonly groups = new Map<string, Group>();
  private readonly inflightByGroup = new Map<string, number>();
  private counts = { delayed: 0, ready: 0, inflight: 0 };
  private timer: { at: number; cancel: () => void } | undefined;
  private closed = false;

  constructor(
    readonly fifo: boolean,
    private readonly clock: Clock,
    private readonly rules: () => QueueRules,
    private readonly sink: Sink,
  ) {}

  get approximate(): { visible: number; inflight: number; delayed: number } {
    this.promote(this.clock.now());
    return { visible: this.counts.ready, inflight: this.counts.inflight, delayed: this.counts.delayed };
  }

  private transition(m: Msg, to: MsgState): void {
    if (!ALLOWED[m.state].includes(to)) throw new Error(`message ${m.id}: illegal transition ${m.state} → ${to}`);
    if (m.state !== 'gone') this.counts[m.state]--;
    if (m.state === 'inflight' && this.fifo && m.groupId !== undefined) this.unlockGroup(m);
    m.state = to;
    m.gen++;
    if (to !== 'gone') this.counts[to]++;
    if (to === 'inflight' && m.groupId !== undefined && this.fifo) this.inflightByGroup.set(m.groupId, (this.inflightByGroup.get(m.groupId) ?? 0) + 1);
    if (to === 'ready' && !this.fifo) this.ready.push({ m, gen: m.gen });
    if (to === 'delayed' || to === 'inflight') {
      this.waiting.push({ at: m.visibleAt, item: m, gen: m.gen });
      this.arm();
    }
  }

  private unlockGroup(m: Msg): void {
    const n = (this.inflightByGroup.get(m.groupId!) ?? 1) - 1;
    if (n <= 0) this.inflightByGroup.delete(m.groupId!);
    else this.inflightByGroup.set(m.groupId!, n);
  }

  /** Adds a message (new or loaded from disk); its state follows from visibleAt and receiveCount. */
  add(m: Msg): void {
    const now = this.clock.now();
    const target: MsgState = m.visibleAt > now ? (m.receiveCount > 0 ? 'inflight' : 'delayed') : 'ready';
    m.state = 'gone';
    m.gen = 0;
    this.messages.set(m.id, m);
    if (this.fifo) {
      let g = this.groups.get(m.groupId!);
      if (!g) this.groups.set(m.groupId!, (g = { items: [], head: 0, live: 0 }));
      g.items.push(m);
      g.live++;
    }
    // Entering from 'gone' is the one transition not in the table: it is the message's birth.
    m.state = target;
    m.gen = 1;
    this.counts[target]++;
    if (target === 'inflight' && this.fifo) this.inflightByGroup.set(m.groupId!, (this.inflightByGroup.get(m.groupId!) ?? 0) + 1);
    if (target === 'ready') {
      if (!this.fifo) this.ready.push({ m, gen: m.gen });
      this.sink.available();
    } else {
      this.waiting.push({ at: m.visibleAt, item: m, gen: m.gen });
      this.arm();
    }
  }

  /** Moves messages whose delay or visibility timeout has ended to ready; true when any did. */
  promote(now: number): boolean {
    let any = false;
    for (;;) {
      const top = this.waiting.peek();
      if (!top) break;
      const m = top.item;
      if (top.gen !== m.gen || (m.state !== 'delayed' && m.state !== 'inflight')) {
        this.waiting.pop();
        continue;
      }
      if (top.at > now) break;
      this.waiting.pop();
      this.transition(m, 'ready');
      any = true;
    }
    return any;
  }

  /** Takes up to max visible messages and makes them in flight for visibilityMs. */
  take(max: number, visibilityMs: number): Msg[] {
    const now = this.clock.now();
    this.promote(now);
    const out: Msg[] = [];
    const rules = this.rules();
    const usable = (m: Msg): boolean => {
      if (now >= m.sentTs + rules.retentionMs) {
        this.remove(m);
        this.sink.expired(m);
        return false;
      }
      if (rules.redrive && m.receiveCount >= rules.redrive.maxReceiveCount && this.sink.redrive(m)) {
        this.remove(m);
        return false;
      }
      return true;
    };
    const receive = (m: Msg): void => {
      m.receiveCount++;
      if (m.firstReceiveTs === 0) m.firstReceiveTs = now;
      m.receivedAt = now;
      m.visibleAt = now + visibilityMs;
      this.transition(m, 'inflight');
      this.sink.received(m);
      out.push(m);
    };
    if (!this.fifo) {
      while (out.length < max) {
        const e = this.ready.shift();
        if (!e) break;
        if (e.gen !== e.m.gen || e.m.state !== 'ready') continue;
        if (usable(e.m)) receive(e.m);
      }
      return out;
    }
    const touched: string[] = [];
    for (const [gid, g] of this.groups) {
      if (out.length >= max) break;
      // One in-flight batch per group: a group with messages in flight yields nothing until they are settled.
      if (this.inflightByGroup.has(gid)) continue;
      let took = false;
      for (let i = g.head; out.length < max && i < g.items.length; i++) {
        const m = g.items[i]!;
        if (m.state === 'gone') continue; // removed lazily; compaction happens at the head
        if (m.state !== 'ready') break; // a delayed head keeps the rest of its group in order behind it
        if (!usable(m)) continue;
        receive(m);
        took = true;
      }
      if (took) touched.push(gid);
    }
    // Rotate served groups to the end so other groups get their turn next time.
    for (const gid of touched) {
      const g = this.groups.get(gid);
      if (g) {
        this.groups.delete(gid);
        this.groups.set(gid, g);
      }
    }
    return out;
  }

  private remove(m: Msg): void {
    if (m.state !== 'gone') this.transition(m, 'gone');
    this.messages.delete(m.id);
    if (this.fifo && m.groupId !== undefined) {
      // Removal is O(1): the message is already 'gone'; the group skips it and drops gone messages from its head.
      const g = this.groups.get(m.groupId);
      if (g) {
        if (--g.live <= 0) this.groups.delete(m.groupId);
        else {
          while (g.head < g.items.length && g.items[g.head]!.state === 'gone') g.head++;
          if (g.head > 1024 && g.head * 2 > g.items.length) {
            g.items = g.items.slice(g.head);
            g.head = 0;
          }
        }
      }
    }
  }

  /** Deletes a message by id; returns it when it was in the queue. */
  delete(id: string): Msg | undefined {
    const m = this.messages.get(id);
    if (!m) return undefined;
    const wasInflight = m.state === 'inflight';
    this.remove(m);
    // Deleting the last in-flight message of a FIFO group unblocks the group's next message.
    if (this.fifo && wasInflight && m.groupId !== undefined && !this.inflightByGroup.has(m.groupId) && this.groups.has(m.groupId)) this.sink.available();
    return m;
  }

  /** Sets a new visibility timeout on an in-flight message (0 makes it visible at once). */
  changeVisibility(m: Msg, ms: number): void {
    m.visibleAt = this.clock.now() + ms;
    if (ms <= 0) {
      this.transition(m, 'ready');
      this.sink.available();
    } else this.transition(m, 'inflight');
  }

  /** Removes every message; returns how many. */
  purge(): number {
    const n = this.messages.size;
    for (const m of this.messages.values()) if (m.state !== 'gone') this.transition(m, 'gone');
    this.messages.clear();
    this.groups.clear();
    this.inflightByGroup.clear();
    this.ready.clear();
    this.waiting.clear();
    this.counts = { delayed: 0, ready: 0, inflight: 0 };
    return n;
  }

  /** Drops messages past the retention period (called now and then; receive also checks). */
  sweep(): Msg[] {
    const now = this.clock.now();
    const limit = this.rules().retentionMs;
    const gone: Msg[] = [];
    for (const m of this.messages.values()) if (now >= m.sentTs + limit) gone.push(m);
    for (const m of gone) this.remove(m);
    return gone;
  }

  /** Keeps one clock timer armed for the earliest delayed or in-flight message. */
  private arm(): void {
    if (this.closed) return;
    for (;;) {
      const top = this.waiting.peek();
      if (!top) return;
      if (top.gen !== top.item.gen || (top.item.state !== 'delayed' && top.item.state !== 'inflight')) {
        this.waiting.pop();
        continue;
      }
      if (this.timer && this.timer.at <= top.at) return;
      this.timer?.cancel();
      const at = top.at;
      this.timer = {
        at,
        cancel: this.clock.setTimer(at - this.clock.now(), () => {
          if (this.timer?.at === at) this.timer = undefined;
          if (this.promote(this.clock.now())) this.sink.available();
          this.arm();
        }),
      };
      return;
    }
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
  }
}
