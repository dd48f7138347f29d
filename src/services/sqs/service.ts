// The SQS domain: queues and messages as rows of the store (the truth, shared by every node), a cache of queue
// metadata invalidated through the notifier, and the QueueBroker module API other services use.
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import type { Store } from '../../store/store.js';
import { LocalNotifier, type Notifier } from '../../store/notifier.js';
import type { Leases } from '../../store/leases.js';
import type { QueueBroker } from './broker.js';
import { createBroker } from './module-api.js';
import { MIGRATIONS } from './schema.js';
import { Messages, type SendInput, type SendResult } from './send.js';
import { ReceiptHandles, type Msg } from './messages.js';
import { randomBytes } from 'node:crypto';
import { applyAttributes, defaultAttrs, parseQueueArn, parseRedrive, queueArn, type QueueAttrs, type Redrive } from './queues.js';
import { Watches } from './waits.js';

export { seqNumber } from './messages.js';
/** Unit tests and the in-process bench run without a node; the single-process notifier stands in. */
export type { SendInput, SendResult } from './send.js';

export class Queue {
  readonly redrive: Redrive | undefined;
  constructor(
    readonly arn: string,
    readonly region: string,
    readonly name: string,
    readonly attrs: QueueAttrs,
    readonly tags: Record<string, string>,
    readonly created: number,
    readonly modified: number,
  ) {
    this.redrive = attrs.RedrivePolicy ? parseRedrive(attrs.RedrivePolicy) : undefined;
  }
  get fifo(): boolean {
    return this.attrs.FifoQueue;
  }
}

interface QueueRow {
  arn: string;
  region: string;
  name: string;
  attrs: string;
  tags: string;
  created: number;
  modified: number;
}

const fromRow = (r: QueueRow): Queue =>
  new Queue(r.arn, r.region, r.name, { ...defaultAttrs(r.name.endsWith('.fifo')), ...(JSON.parse(r.attrs) as QueueAttrs) }, JSON.parse(r.tags) as Record<string, string>, Number(r.created), Number(r.modified));

/** The receipt handle of the message's current receive (one per receive, so a ReceiveRequestAttemptId retry gets it again). */
export function makeReceiptHandle(m: Msg): string {
  return m.receipt;
}

export interface SqsServiceOptions {
  store: Store;
  clock: Clock;
  accountId: string;
  /** Base URL of this server, for queue URLs handed out by the module API. */
  endpointUrl: () => string;
  log?: (msg: string) => void;
  /** Wakes long polls on every node; without one (unit tests, one process) an in-process emitter. */
  notifier?: Notifier;
  /** With leases, one node of a cluster does the periodic sweep at a time. */
  leases?: Leases;
}

/** After DeleteQueue, CreateQueue of the same name fails with QueueDeletedRecently for this long (AWS: 60 s). */
const NAME_REUSE_DELAY_MS = 60_000;
const SWEEP_MS = 60_000;
const QUEUES_CHANNEL = 'sqs:queues';

export class SqsService {
  /** Queue metadata by ARN: a cache of sqs_queues, kept by this node's writes and other nodes' notifications. */
  private readonly queues = new Map<string, Queue>();
  private sweepCancel: (() => void) | undefined;
  private unlisten: (() => void) | undefined;
  private readonly clock: Clock;
  readonly accountId: string;
  readonly store: Store;
  readonly notifier: Notifier;
  readonly watches: Watches;
  readonly messages: Messages;

  constructor(private readonly o: SqsServiceOptions) {
    this.clock = o.clock;
    this.accountId = o.accountId;
    this.store = o.store;
    this.notifier = o.notifier ?? new LocalNotifier();
    const log = (m: string): void => o.log?.(m);
    this.messages = new Messages(this, o.store, o.clock);
    this.watches = new Watches({ notifier: this.notifier, clock: o.clock, log, nextVisibleAt: (arn, after) => this.messages.nextVisibleAt(arn, after), anyVisible: (arn) => this.messages.anyVisible(arn) });
  }

  async init(): Promise<void> {
    await this.o.store.migrate('sqs', MIGRATIONS);
    await this.o.store.run('INSERT INTO sqs_secret (id, secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING', [randomBytes(32).toString('hex')]);
    this.messages.handles = new ReceiptHandles((await this.o.store.get<{ secret: string }>('SELECT secret FROM sqs_secret WHERE id = 1'))!.secret);
    this.unlisten = this.notifier.listen(QUEUES_CHANNEL, (arn) => void this.refresh(arn || undefined).catch((e: unknown) => this.o.log?.(`selfless: sqs queue refresh failed: ${String(e)}`)));
    await this.refresh();
  }

  /** Re-reads one queue (or all) from the store into the cache. */
  async refresh(arn?: string): Promise<Queue | undefined> {
    if (arn === undefined) {
      const rows = await this.o.store.all<QueueRow>('SELECT arn, region, name, attrs, tags, created, modified FROM sqs_queues');
      this.queues.clear();
      for (const r of rows) this.queues.set(r.arn, fromRow(r));
      return undefined;
    }
    const r = await this.o.store.get<QueueRow>('SELECT arn, region, name, attrs, tags, created, modified FROM sqs_queues WHERE arn = ?', [arn]);
    if (!r) {
      this.queues.delete(arn);
      return undefined;
    }
    const q = fromRow(r);
    this.queues.set(arn, q);
    return q;
  }

  /** Starts the periodic sweep of expired messages and deduplication entries. */
  start(): void {
    if (!this.sweepCancel) this.scheduleSweep();
  }

  /** Ends every long poll now (empty) and makes new ones return at once: the server is shutting down. */
  release(): void {
    this.watches.release();
  }

  async close(): Promise<void> {
    this.sweepCancel?.();
    this.sweepCancel = () => undefined;
    this.unlisten?.();
    this.watches.close();
  }

  private scheduleSweep(): void {
    this.sweepCancel = this.clock.setTimer(SWEEP_MS, () => {
      this.sweep().then(
        () => this.scheduleSweep(),
        (e: unknown) => {
          this.o.log?.(`selfless: sqs sweep failed: ${e instanceof Error ? e.message : String(e)}`);
          this.scheduleSweep();
        },
      );
    });
  }

  /** Drops messages past retention, expired dedup entries and attempt ids, and messages of deleted queues. */
  async sweep(): Promise<void> {
    if (this.o.leases && !(await this.o.leases.acquire('sqs:sweep'))) return;
    const now = this.clock.now();
    const group: [string, (string | number)[]][] = [];
    for (const q of this.queues.values()) group.push(['DELETE FROM sqs_messages WHERE queue = ? AND sent <= ?', [q.arn, now - q.attrs.MessageRetentionPeriod * 1000]]);
    group.push(['DELETE FROM sqs_dedup WHERE expires <= ?', [now]]);
    group.push(['DELETE FROM sqs_attempts WHERE at <= ?', [now - 300_000]]);
    group.push(['DELETE FROM sqs_deleted WHERE at <= ?', [now - NAME_REUSE_DELAY_MS]]);
    group.push(['DELETE FROM sqs_messages WHERE NOT EXISTS (SELECT 1 FROM sqs_queues q WHERE q.arn = sqs_messages.queue)', []]);
    await this.o.store.journal.write(group);
  }

  /** Tells every node (this one too) that a queue's metadata changed. */
  private changed(arn: string): void {
    this.notifier.notify(QUEUES_CHANNEL, arn);
  }

  // ---- queues ----

  /** The cached queue; see load() for a read of the store. */
  byArn(arn: string): Queue | undefined {
    return this.queues.get(arn);
  }
  /** The queue from the cache, or from the store when the cache has not heard of it yet (created on another node). */
  async load(arn: string): Promise<Queue | undefined> {
    return this.queues.get(arn) ?? (await this.refresh(arn));
  }
  get(region: string, name: string): Queue | undefined {
    return this.queues.get(queueArn(region, this.accountId, name));
  }
  async require(region: string, name: string, accountId = this.accountId): Promise<Queue> {
    const q = accountId === this.accountId ? await this.load(queueArn(region, this.accountId, name)) : undefined;
    if (!q) throw new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return q;
  }
  /** The queue with this ARN, or QueueDoesNotExist. */
  async requireArn(arn: string): Promise<Queue> {
    const q = await this.load(arn);
    if (!q) throw new AwsError('QueueDoesNotExist', `The specified queue does not exist: ${arn}`);
    return q;
  }
  /** The queues of a region by name, read from the store (every node's). */
  async list(region: string): Promise<Queue[]> {
    const rows = await this.o.store.all<QueueRow>('SELECT arn, region, name, attrs, tags, created, modified FROM sqs_queues WHERE region = ?', [region]);
    const out = rows.map(fromRow);
    for (const q of out) this.queues.set(q.arn, q);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** CreateQueue: idempotent for identical attributes, QueueNameExists otherwise. */
  async createQueue(region: string, name: string, fifo: boolean, attrIn: Record<string, string>, tags: Record<string, string>): Promise<Queue> {
    const attrs = applyAttributes(defaultAttrs(fifo), attrIn, true);
    await this.checkDlq(region, attrs);
    const arn = queueArn(region, this.accountId, name);
    const same = (existing: Queue): Queue => {
      for (const k of Object.keys(attrIn)) {
        if (k === 'FifoQueue') continue;
        const key = k as keyof QueueAttrs;
        if (String(existing.attrs[key]) !== String(attrs[key]))
          throw new AwsError('QueueNameExists', `A queue already exists with the same name and a different value for attribute ${k}`);
      }
      return existing;
    };
    const existing = await this.refresh(arn);
    if (existing) return same(existing);
    const gone = await this.o.store.get<{ at: number }>('SELECT at FROM sqs_deleted WHERE arn = ?', [arn]);
    if (gone && this.clock.now() - Number(gone.at) < NAME_REUSE_DELAY_MS)
      throw new AwsError('QueueDeletedRecently', 'You must wait 60 seconds after deleting a queue before you can create another with the same name.');
    const now = Math.floor(this.clock.now() / 1000);
    const [ins] = await this.o.store.journal.write([
      ['INSERT INTO sqs_queues (arn, region, name, attrs, tags, created, modified, seq, last_purge) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0) ON CONFLICT (arn) DO NOTHING', [arn, region, name, JSON.stringify(attrs), JSON.stringify(tags), now, now]],
      ['DELETE FROM sqs_deleted WHERE arn = ?', [arn]],
    ]);
    if (ins?.changes === 0) {
      // Created by another request (on any node) meanwhile: the same rule as for an existing queue.
      const other = await this.refresh(arn);
      if (other) return same(other);
    }
    const q = new Queue(arn, region, name, attrs, tags, now, now);
    this.queues.set(arn, q);
    this.changed(arn);
    return q;
  }

  private async checkDlq(region: string, a: QueueAttrs): Promise<void> {
    if (!a.RedrivePolicy) return;
    const r = parseRedrive(a.RedrivePolicy)!;
    const target = await this.load(r.deadLetterTargetArn);
    const p = parseQueueArn(r.deadLetterTargetArn);
    if (!target || p?.region !== region)
      throw new AwsError('InvalidParameterValue', `Value ${a.RedrivePolicy} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`);
    if (target.fifo !== a.FifoQueue)
      throw new AwsError('InvalidParameterValue', `Value ${a.RedrivePolicy} for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.`);
  }

  async deleteQueue(q: Queue): Promise<void> {
    const now = this.clock.now();
    await this.o.store.journal.write([
      ['DELETE FROM sqs_queues WHERE arn = ?', [q.arn]],
      ['DELETE FROM sqs_messages WHERE queue = ?', [q.arn]],
      ['DELETE FROM sqs_dedup WHERE queue = ?', [q.arn]],
      ['DELETE FROM sqs_attempts WHERE queue = ?', [q.arn]],
      ['INSERT INTO sqs_deleted (arn, at) VALUES (?, ?) ON CONFLICT (arn) DO UPDATE SET at = excluded.at', [q.arn, now]],
    ]);
    this.queues.delete(q.arn);
    this.changed(q.arn);
    // Long polls on the queue end (they find it gone).
    this.watches.announce(q.arn);
  }

  async setAttributes(q: Queue, attrIn: Record<string, string>): Promise<void> {
    const cur = (await this.refresh(q.arn)) ?? q;
    const attrs = applyAttributes(cur.attrs, attrIn, false);
    await this.checkDlq(q.region, attrs);
    await this.saveQueue(new Queue(q.arn, q.region, q.name, attrs, cur.tags, q.created, Math.floor(this.clock.now() / 1000)));
  }

  async setTags(q: Queue, tags: Record<string, string>): Promise<void> {
    const cur = (await this.refresh(q.arn)) ?? q;
    await this.saveQueue(new Queue(q.arn, q.region, q.name, cur.attrs, tags, q.created, cur.modified));
  }

  private async saveQueue(q: Queue): Promise<void> {
    const [r] = await this.o.store.journal.write([['UPDATE sqs_queues SET attrs = ?, tags = ?, modified = ? WHERE arn = ?', [JSON.stringify(q.attrs), JSON.stringify(q.tags), q.modified, q.arn]]]);
    if (r?.changes === 0) {
      this.queues.delete(q.arn);
      throw new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
    }
    this.queues.set(q.arn, q);
    this.changed(q.arn);
  }

  async purge(q: Queue): Promise<void> {
    const now = this.clock.now();
    // The 60 s limit is a condition on the queue row, so it holds across nodes; the delete runs only if it passed.
    const [mark] = await this.o.store.journal.write([
      ['UPDATE sqs_queues SET last_purge = ? WHERE arn = ? AND last_purge <= ?', [now, q.arn, now - 60_000]],
      ['DELETE FROM sqs_messages WHERE queue = ? AND (SELECT last_purge FROM sqs_queues WHERE arn = ?) = ?', [q.arn, q.arn, now]],
    ]);
    if (mark?.changes === 0) throw new AwsError('PurgeQueueInProgress', `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`);
  }

  async counts(q: Queue): Promise<{ visible: number; inflight: number; delayed: number }> {
    return this.messages.counts(q);
  }

  // ---- messages (see send.ts) ----

  /** Validates, then sends the messages durably (one group: acknowledged once committed). */
  async send(q: Queue, inputs: readonly SendInput[], senderId: string): Promise<(SendResult | AwsError)[]> {
    return this.messages.send(q, inputs, senderId);
  }
  async sendOne(q: Queue, s: SendInput, senderId: string): Promise<SendResult> {
    const [r] = await this.messages.send(q, [s], senderId);
    if (r instanceof AwsError) throw r;
    return r!;
  }

  /**
   * Receives up to max messages, waiting up to waitMs for the first to arrive (without holding anything but a timer).
   * A FIFO ReceiveRequestAttemptId seen in the last 5 minutes returns that receive's messages again, with the same
   * receipt handles and a fresh visibility timeout, if none of them was deleted, changed or became visible since.
   */
  async receive(q: Queue, max: number, visibilityMs: number, waitMs: number, signal?: AbortSignal, attemptId?: string): Promise<Msg[]> {
    const deadline = this.clock.now() + waitMs;
    if (attemptId !== undefined && q.fifo) {
      const prior = await this.messages.replayAttempt(q, attemptId, visibilityMs);
      if (prior) return prior;
    }
    const claim = (): Promise<Msg[]> => this.messages.claim(q, max, visibilityMs);
    let got = await claim();
    if (got.length === 0 && waitMs > 0 && !signal?.aborted && !this.watches.releasing) {
      // A woken waiter reads before it claims: most wake-ups of a busy queue find its messages taken already, and a
      // read costs less than a claim through the journal.
      got = await this.watches.wait<Msg>(q.arn, deadline, async () => (!(await this.load(q.arn)) ? null : (await this.messages.anyVisible(q.arn)) ? claim() : []), signal);
    }
    if (attemptId !== undefined && q.fifo) await this.messages.recordAttempt(q, attemptId, got);
    return got;
  }

  /** DeleteMessage(Batch): a receipt handle of a message that is gone succeeds, as on SQS. */
  async deleteMessages(q: Queue, handles: readonly unknown[]): Promise<(AwsError | undefined)[]> {
    return this.messages.delete(q, handles);
  }

  deadLetterNow(q: Queue, handles: readonly string[]): Promise<boolean> {
    return this.messages.deadLetterNow(q, handles);
  }
  async deleteMessage(q: Queue, handle: unknown): Promise<void> {
    const [e] = await this.messages.delete(q, [handle]);
    if (e) throw e;
  }

  async changeVisibilities(q: Queue, entries: readonly { handle: unknown; seconds: number }[]): Promise<(AwsError | undefined)[]> {
    return this.messages.changeVisibility(q, entries);
  }
  async changeVisibility(q: Queue, handle: unknown, seconds: number): Promise<void> {
    const [e] = await this.messages.changeVisibility(q, [{ handle, seconds }]);
    if (e) throw e;
  }

  /**
   * StartMessageMoveTask (dead-letter queue redrive): moves the visible messages of a dead-letter queue back to their
   * source queues (or to `dest`), as new messages; returns how many moved.
   */
  async redriveMessages(dlq: Queue, dest: Queue | undefined): Promise<number> {
    return this.messages.redrive(dlq, dest);
  }

  /** Records a finished message move task (kept in the store, so ListMessageMoveTasks answers on every node). */
  async recordMoveTask(source: string, handle: string, task: Record<string, unknown>): Promise<void> {
    await this.o.store.journal.write([['INSERT INTO sqs_move_tasks (source, handle, at, task) VALUES (?, ?, ?, ?) ON CONFLICT (source, handle) DO NOTHING', [source, handle, this.clock.now(), JSON.stringify(task)]]]);
  }
  async moveTasks(source: string, max: number): Promise<Record<string, unknown>[]> {
    const rows = await this.o.store.all<{ task: string }>('SELECT task FROM sqs_move_tasks WHERE source = ? ORDER BY at DESC, handle LIMIT ?', [source, max]);
    return rows.map((r) => JSON.parse(r.task) as Record<string, unknown>);
  }

  now(): number {
    return this.clock.now();
  }

  queueUrl(baseUrl: string, q: Queue): string {
    return `${baseUrl}/${this.accountId}/${q.name}`;
  }

  onAvailable(arn: string, listener: () => void): () => void {
    return this.watches.listen(arn, listener);
  }

  /** The module API (no HTTP): queues addressed by ARN. */
  readonly broker: QueueBroker = createBroker(this);

  /** Base URL of this server for queue URLs handed out without a request (module API). */
  endpointUrl(): string {
    return this.o.endpointUrl();
  }

}

/** All system attributes of a received message, as SQS names them. */
export function systemAttributes(m: Msg): Record<string, string> {
  const a: Record<string, string> = {
    SenderId: m.senderId,
    SentTimestamp: String(m.sentTs),
    ApproximateReceiveCount: String(m.receiveCount),
    ApproximateFirstReceiveTimestamp: String(m.firstReceiveTs),
  };
  if (m.groupId !== undefined) a['MessageGroupId'] = m.groupId;
  if (m.dedupId !== undefined) a['MessageDeduplicationId'] = m.dedupId;
  if (m.seqNumber !== undefined) a['SequenceNumber'] = m.seqNumber;
  if (m.dlqSource !== undefined) a['DeadLetterQueueSourceArn'] = m.dlqSource;
  const trace = m.sysAttrs['AWSTraceHeader']?.StringValue;
  if (trace !== undefined) a['AWSTraceHeader'] = trace;
  return a;
}

