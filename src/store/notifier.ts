// The notifier: wakes waiters (long polls, task tokens, pollers) when committed state they wait on may have changed.
//
// Channels are plain names (`sqs:<queueArn>`, `lambda:config`); a payload is a short string. A notification is a
// hint that something changed, sent after the write committed: a listener re-reads the store, it never trusts the
// payload as state. On SQLite (one node) it is an in-process emitter; on PostgreSQL it is LISTEN/NOTIFY, so every
// node's listeners hear it, the sender's own included.
import { EventEmitter } from 'node:events';

export type Listener = (payload: string) => void;

export interface Notifier {
  /** Tells every listener of `channel` on every node; call after the write it announces has committed. */
  notify(channel: string, payload?: string): void;
  /** Listens on `channel`; returns the function that stops listening. */
  listen(channel: string, fn: Listener): () => void;
  close(): Promise<void>;
}

/** The single-process notifier (SQLite): delivery is asynchronous, as it is over PostgreSQL, never re-entrant. */
export class LocalNotifier implements Notifier {
  private readonly ee = new EventEmitter();
  constructor() {
    this.ee.setMaxListeners(0);
  }
  notify(channel: string, payload = ''): void {
    if (this.ee.listenerCount(channel) === 0) return;
    queueMicrotask(() => this.ee.emit(channel, payload));
  }
  listen(channel: string, fn: Listener): () => void {
    this.ee.on(channel, fn);
    return () => this.ee.off(channel, fn);
  }
  async close(): Promise<void> {
    this.ee.removeAllListeners();
  }
}
