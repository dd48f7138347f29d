// The SQS domain: queues and their messages in memory, persisted through the group-commit journal; also the
// QueueBroker module API that other services (async destinations, event source mappings) use.
import { createHash } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import { hex, uuid } from '../../lib/ids.js';
import type { Store } from '../../store/store.js';
import type { MessageAttribute, QueueBroker } from './broker.js';
import { createBroker } from './module-api.js';
import { Journal } from '../../store/journal.js';
import { md5Hex, md5OfAttributes } from './md5.js';
import { MessageQueue, type Msg } from './messages.js';
import { applyAttributes, defaultAttrs, parseQueueArn, parseRedrive, queueArn, type QueueAttrs, type Redrive } from './queues.js';
import { checkBody, checkDelay, checkMessageAttributes, messageSize } from './validate.js';

const MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE sqs_queues (arn TEXT PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL, attrs TEXT NOT NULL, tags TEXT NOT NULL, created INTEGER NOT NULL, modified INTEGER NOT NULL);
CREATE TABLE sqs_messages (queue TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, attrs TEXT, sys TEXT NOT NULL, sent INTEGER NOT NULL, visible_at INTEGER NOT NULL, receive_count INTEGER NOT NULL, first_receive INTEGER NOT NULL, PRIMARY KEY (queue, id));
CREATE TABLE sqs_dedup (queue TEXT NOT NULL, k TEXT NOT NULL, message_id TEXT NOT NULL, seq_number TEXT, expires INTEGER NOT NULL, PRIMARY KEY (queue, k))`,
  },
];

const DEDUP_WINDOW_MS = 5 * 60_000;
const SWEEP_MS = 60_000;

export class Queue {
  redrive: Redrive | undefined;
  readonly waiters = new Set<{ attempt: () => void; cancel: () => void }>();
  readonly dedup = new Map<string, { messageId: string; seqNumber: string; expires: number }>();
  /** FIFO ReceiveRequestAttemptIds of the last 5 minutes (oldest first) with what they received, at which gen. */
  readonly attempts = new Map<string, { at: number; got: { m: Msg; gen: number }[] }>();
  nextSeq = 1;
  lastPurge = -Infinity;
  wakeScheduled = false;
  mq!: MessageQueue;
  constructor(
    readonly arn: string,
    readonly region: string,
    readonly name: string,
    public attrs: QueueAttrs,
    public tags: Record<string, string>,
    readonly created: number,
    public modified: number,
  ) {
    this.redrive = attrs.RedrivePolicy ? parseRedrive(attrs.RedrivePolicy) : undefined;
  }
  get fifo(): boolean {
    return this.attrs.FifoQueue;
  }
}

export interface SendInput {
  body: unknown;
  messageAttributes?: unknown;
  systemAttributes?: unknown;
  delaySeconds?: unknown;
  groupId?: unknown;
  dedupId?: unknown;
}

export interface SendResult {
  messageId: string;
  md5Body: string;
  md5Attrs: string | undefined;
  md5Sys: string | undefined;
  seqNumber: string | undefined;
}

type AttrJson = Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
const attrsToJson = (a: Record<string, MessageAttribute>): string | null => {
  const keys = Object.keys(a);
  if (keys.length === 0) return null;
  const o: AttrJson = {};
  for (const k of keys) {
    const v = a[k]!;
    o[k] = v.BinaryValue !== undefined ? { DataType: v.DataType, BinaryValue: v.BinaryValue.toString('base64') } : { DataType: v.DataType, StringValue: v.StringValue ?? '' };
  }
  return JSON.stringify(o);
};
const attrsFromJson = (s: string | null): Record<string, MessageAttribute> => {
  if (!s) return {};
  const o = JSON.parse(s) as AttrJson;
  const out: Record<string, MessageAttribute> = Object.create(null) as Record<string, MessageAttribute>;
  for (const [k, v] of Object.entries(o))
    out[k] = v.BinaryValue !== undefined ? { DataType: v.DataType, BinaryValue: Buffer.from(v.BinaryValue, 'base64') } : { DataType: v.DataType, StringValue: v.StringValue ?? '' };
  return out;
};

const HANDLE_RE = /^([0-9a-f-]{36}):(\d+):([0-9a-f]{16})$/;
/** The receipt handle of the message's current receive (one per receive, so a ReceiveRequestAttemptId retry gets it again). */
export function makeReceiptHandle(m: Msg): string {
  if (m.receipt?.count !== m.receiveCount) m.receipt = { count: m.receiveCount, handle: Buffer.from(`${m.id}:${m.receiveCount}:${hex(8)}`).toString('base64url') };
  return m.receipt.handle;
}
export function parseReceiptHandle(h: unknown): { id: string; receiveCount: number } {
  const t = typeof h === 'string' ? HANDLE_RE.exec(Buffer.from(h, 'base64url').toString('latin1')) : null;
  if (!t) throw new AwsError('ReceiptHandleIsInvalid', `The input receipt handle "${String(h)}" is not a valid receipt handle.`);
  return { id: t[1]!, receiveCount: Number(t[2]) };
}

export interface SqsServiceOptions {
  store: Store;
  clock: Clock;
  accountId: string;
  /** Base URL of this server, for queue URLs handed out by the module API. */
  endpointUrl: () => string;
  log?: (msg: string) => void;
  /** The process's group-commit journal (see store/journal.ts), shared with other services; without it the service
   *  has its own, committing on the main thread. */
  journal?: Journal;
}

/** After DeleteQueue, CreateQueue of the same name fails with QueueDeletedRecently for this long (AWS: 60 s). */
const NAME_REUSE_DELAY_MS = 60_000;
/** How long a FIFO ReceiveRequestAttemptId can be retried (AWS: 5 minutes). */
const ATTEMPT_WINDOW_MS = 300_000;

export class SqsService {
  private readonly queues = new Map<string, Queue>(); // by ARN
  private readonly listeners = new Map<string, Set<() => void>>(); // by ARN, survive queue re-creation
  readonly journal: Journal;
  private sweepCancel: (() => void) | undefined;
  private releasing = false;
  /** Recent (completed) message move tasks by source queue ARN, for ListMessageMoveTasks. */
  readonly moveTasks = new Map<string, Record<string, unknown>[]>();
  /** When each recently deleted queue (by ARN) was deleted: its name is not reusable for 60 s, as on AWS. */
  private readonly deletedAt = new Map<string, number>();
  private readonly clock: Clock;
  readonly accountId: string;

  constructor(private readonly o: SqsServiceOptions) {
    this.clock = o.clock;
    this.accountId = o.accountId;
    this.journal = o.journal ?? new Journal(o.store, (e) => o.log?.(`selfless: sqs journal write failed: ${e instanceof Error ? e.message : String(e)}`));
  }

  async init(): Promise<void> {
    await this.o.store.migrate('sqs', MIGRATIONS);
    const rows = await this.o.store.all<{ arn: string; region: string; name: string; attrs: string; tags: string; created: number; modified: number }>('SELECT * FROM sqs_queues');
    for (const r of rows) this.install(new Queue(r.arn, r.region, r.name, { ...defaultAttrs(r.name.endsWith('.fifo')), ...(JSON.parse(r.attrs) as QueueAttrs) }, JSON.parse(r.tags) as Record<string, string>, r.created, r.modified));
    const msgs = await this.o.store.all<{ queue: string; id: string; seq: number; body: string; attrs: string | null; sys: string; sent: number; visible_at: number; receive_count: number; first_receive: number }>(
      'SELECT * FROM sqs_messages ORDER BY queue, seq',
    );
    for (const r of msgs) {
      const q = this.queues.get(r.queue);
      if (!q) continue;
      const sys = JSON.parse(r.sys) as { senderId: string; groupId?: string; dedupId?: string; seqNumber?: string; dlqSource?: string; trace?: string };
      const attrs = attrsFromJson(r.attrs);
      q.nextSeq = Math.max(q.nextSeq, r.seq + 1);
      q.mq.add({
        id: r.id,
        seq: r.seq,
        body: r.body,
        md5Body: md5Hex(r.body),
        attrs,
        md5Attrs: md5OfAttributes(attrs),
        sysAttrs: sys.trace !== undefined ? { AWSTraceHeader: { DataType: 'String', StringValue: sys.trace } } : {},
        sentTs: r.sent,
        senderId: sys.senderId,
        ...(sys.groupId !== undefined ? { groupId: sys.groupId } : {}),
        ...(sys.dedupId !== undefined ? { dedupId: sys.dedupId } : {}),
        ...(sys.seqNumber !== undefined ? { seqNumber: sys.seqNumber } : {}),
        ...(sys.dlqSource !== undefined ? { dlqSource: sys.dlqSource } : {}),
        receiveCount: r.receive_count,
        firstReceiveTs: r.first_receive,
        visibleAt: r.visible_at,
        state: 'gone',
        gen: 0,
      });
    }
    const now = this.clock.now();
    for (const d of await this.o.store.all<{ queue: string; k: string; message_id: string; seq_number: string | null; expires: number }>('SELECT * FROM sqs_dedup')) {
      if (d.expires > now) this.queues.get(d.queue)?.dedup.set(d.k, { messageId: d.message_id, seqNumber: d.seq_number ?? '', expires: d.expires });
    }
    await this.o.store.run('DELETE FROM sqs_dedup WHERE expires <= ?', [now]);
  }

  /** Starts the periodic sweep of expired messages and deduplication entries. */
  start(): void {
    if (!this.sweepCancel) this.scheduleSweep();
  }

  /** Ends every long poll now (empty) and makes new ones return at once: the server is shutting down. */
  release(): void {
    this.releasing = true;
    for (const q of this.queues.values()) for (const w of [...q.waiters]) w.cancel();
  }

  async close(): Promise<void> {
    this.release();
    this.sweepCancel?.();
    for (const q of this.queues.values()) q.mq.close();
    // A shared journal is closed by its owner, after every service using it.
    if (this.o.journal) await this.journal.commit();
    else await this.journal.close();
  }

  private install(q: Queue): void {
    q.mq = new MessageQueue(q.fifo, this.clock, () => ({ retentionMs: q.attrs.MessageRetentionPeriod * 1000, ...(q.redrive ? { redrive: q.redrive } : {}) }), {
      received: (m) => this.journal.add('UPDATE sqs_messages SET visible_at = ?, receive_count = ?, first_receive = ? WHERE queue = ? AND id = ?', [m.visibleAt, m.receiveCount, m.firstReceiveTs, q.arn, m.id]),
      expired: (m) => this.journal.add('DELETE FROM sqs_messages WHERE queue = ? AND id = ?', [q.arn, m.id]),
      redrive: (m) => this.moveToDlq(q, m),
      available: () => this.wake(q),
    });
    this.queues.set(q.arn, q);
  }

  private scheduleSweep(): void {
    this.sweepCancel = this.clock.setTimer(SWEEP_MS, () => {
      const now = this.clock.now();
      for (const q of this.queues.values()) {
        for (const m of q.mq.sweep()) this.journal.add('DELETE FROM sqs_messages WHERE queue = ? AND id = ?', [q.arn, m.id]);
        for (const [k, d] of q.dedup) if (d.expires <= now) q.dedup.delete(k);
      }
      this.journal.add('DELETE FROM sqs_dedup WHERE expires <= ?', [now]);
      this.scheduleSweep();
    });
  }

  /** Wakes long pollers and module listeners once per turn, however many messages arrived. */
  private wake(q: Queue): void {
    if (q.wakeScheduled) return;
    q.wakeScheduled = true;
    queueMicrotask(() => {
      q.wakeScheduled = false;
      for (const w of [...q.waiters]) {
        if (q.mq.approximate.visible === 0) break;
        w.attempt();
      }
      for (const l of [...(this.listeners.get(q.arn) ?? [])]) {
        try {
          l();
        } catch (e) {
          this.o.log?.(`selfless: sqs onAvailable listener failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    });
  }

  private persistMessage(q: Queue, m: Msg): void {
    const sys = {
      senderId: m.senderId,
      ...(m.groupId !== undefined ? { groupId: m.groupId } : {}),
      ...(m.dedupId !== undefined ? { dedupId: m.dedupId } : {}),
      ...(m.seqNumber !== undefined ? { seqNumber: m.seqNumber } : {}),
      ...(m.dlqSource !== undefined ? { dlqSource: m.dlqSource } : {}),
      ...(m.sysAttrs['AWSTraceHeader'] ? { trace: m.sysAttrs['AWSTraceHeader'].StringValue } : {}),
    };
    this.journal.add(
      'INSERT OR REPLACE INTO sqs_messages (queue, id, seq, body, attrs, sys, sent, visible_at, receive_count, first_receive) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [q.arn, m.id, m.seq, m.body, attrsToJson(m.attrs), JSON.stringify(sys), m.sentTs, m.visibleAt, m.receiveCount, m.firstReceiveTs],
    );
  }

  private moveToDlq(src: Queue, m: Msg): boolean {
    const dlq = src.redrive ? this.queues.get(src.redrive.deadLetterTargetArn) : undefined;
    if (!dlq || dlq === src) return false;
    const now = this.clock.now();
    const seq = dlq.nextSeq++;
    const moved: Msg = {
      ...m,
      seq,
      receiveCount: 0,
      firstReceiveTs: 0,
      visibleAt: now,
      dlqSource: src.arn,
      state: 'gone',
      gen: 0,
      ...(dlq.fifo ? { seqNumber: seqNumber(seq), groupId: m.groupId ?? 'default' } : {}),
    };
    this.journal.add('DELETE FROM sqs_messages WHERE queue = ? AND id = ?', [src.arn, m.id]);
    this.persistMessage(dlq, moved);
    dlq.mq.add(moved);
    return true;
  }

  // ---- queues ----

  get(region: string, name: string): Queue | undefined {
    return this.queues.get(queueArn(region, this.accountId, name));
  }
  byArn(arn: string): Queue | undefined {
    return this.queues.get(arn);
  }
  require(region: string, name: string, accountId = this.accountId): Queue {
    const q = accountId === this.accountId ? this.get(region, name) : undefined;
    if (!q) throw new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return q;
  }
  list(region: string): Queue[] {
    return [...this.queues.values()].filter((q) => q.region === region).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** CreateQueue: idempotent for identical attributes, QueueNameExists otherwise. */
  async createQueue(region: string, name: string, fifo: boolean, attrIn: Record<string, string>, tags: Record<string, string>): Promise<Queue> {
    const attrs = applyAttributes(defaultAttrs(fifo), attrIn, true);
    this.checkDlq(region, attrs);
    const existing = this.get(region, name);
    if (existing) {
      for (const k of Object.keys(attrIn)) {
        if (k === 'FifoQueue') continue;
        const key = k as keyof QueueAttrs;
        if (String(existing.attrs[key]) !== String(attrs[key]))
          throw new AwsError('QueueNameExists', `A queue already exists with the same name and a different value for attribute ${k}`);
      }
      return existing;
    }
    const arn = queueArn(region, this.accountId, name);
    const gone = this.deletedAt.get(arn);
    if (gone !== undefined) {
      if (this.clock.now() - gone < NAME_REUSE_DELAY_MS) {
        throw new AwsError('QueueDeletedRecently', 'You must wait 60 seconds after deleting a queue before you can create another with the same name.');
      }
      this.deletedAt.delete(arn);
    }
    const now = Math.floor(this.clock.now() / 1000);
    const q = new Queue(arn, region, name, attrs, tags, now, now);
    this.install(q);
    this.journal.add('INSERT OR REPLACE INTO sqs_queues (arn, region, name, attrs, tags, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?)', [q.arn, region, name, JSON.stringify(attrs), JSON.stringify(tags), now, now]);
    await this.journal.commit();
    return q;
  }

  private checkDlq(region: string, a: QueueAttrs): void {
    if (!a.RedrivePolicy) return;
    const r = parseRedrive(a.RedrivePolicy)!;
    const target = this.queues.get(r.deadLetterTargetArn);
    const p = parseQueueArn(r.deadLetterTargetArn);
    if (!target || p?.region !== region)
      throw new AwsError('InvalidParameterValue', `Value ${a.RedrivePolicy} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`);
    if (target.fifo !== a.FifoQueue)
      throw new AwsError('InvalidParameterValue', `Value ${a.RedrivePolicy} for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.`);
  }

  async deleteQueue(q: Queue): Promise<void> {
    this.queues.delete(q.arn);
    const now = this.clock.now();
    for (const [arn, at] of this.deletedAt) if (now - at >= NAME_REUSE_DELAY_MS) this.deletedAt.delete(arn);
    this.deletedAt.set(q.arn, now);
    q.mq.close();
    for (const w of [...q.waiters]) w.attempt();
    this.journal.add('DELETE FROM sqs_messages WHERE queue = ?', [q.arn]);
    this.journal.add('DELETE FROM sqs_dedup WHERE queue = ?', [q.arn]);
    this.journal.add('DELETE FROM sqs_queues WHERE arn = ?', [q.arn]);
    await this.journal.commit();
  }

  async setAttributes(q: Queue, attrIn: Record<string, string>): Promise<void> {
    const attrs = applyAttributes(q.attrs, attrIn, false);
    this.checkDlq(q.region, attrs);
    q.attrs = attrs;
    q.redrive = attrs.RedrivePolicy ? parseRedrive(attrs.RedrivePolicy) : undefined;
    q.modified = Math.floor(this.clock.now() / 1000);
    this.saveQueue(q);
    await this.journal.commit();
  }

  async setTags(q: Queue, tags: Record<string, string>): Promise<void> {
    q.tags = tags;
    this.saveQueue(q);
    await this.journal.commit();
  }

  private saveQueue(q: Queue): void {
    this.journal.add('UPDATE sqs_queues SET attrs = ?, tags = ?, modified = ? WHERE arn = ?', [JSON.stringify(q.attrs), JSON.stringify(q.tags), q.modified, q.arn]);
  }

  async purge(q: Queue): Promise<void> {
    const now = this.clock.now();
    if (now - q.lastPurge < 60_000)
      throw new AwsError('PurgeQueueInProgress', `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`);
    q.lastPurge = now;
    q.mq.purge();
    this.journal.add('DELETE FROM sqs_messages WHERE queue = ?', [q.arn]);
    await this.journal.commit();
  }

  // ---- messages ----

  /**
   * Validates and enqueues one message (not yet durable: call journal.commit() before acknowledging).
   * Throws AwsError for a bad message.
   */
  sendOne(q: Queue, s: SendInput, senderId: string): SendResult {
    const body = checkBody(s.body);
    const attrs = checkMessageAttributes(s.messageAttributes);
    const sysAttrs = checkMessageAttributes(s.systemAttributes, 'system');
    if (messageSize(body, attrs) > q.attrs.MaximumMessageSize)
      throw new AwsError('InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${q.attrs.MaximumMessageSize} bytes.`);
    const delay = checkDelay(s.delaySeconds);
    const md5Body = md5Hex(body);
    const md5Attrs = md5OfAttributes(attrs);
    const md5Sys = md5OfAttributes(sysAttrs);
    const now = this.clock.now();
    let groupId: string | undefined;
    let dedupId: string | undefined;
    if (q.fifo) {
      if (delay !== undefined && delay !== 0)
        throw new AwsError('InvalidParameterValue', `Value ${delay} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`);
      if (s.groupId === undefined || s.groupId === null) throw new AwsError('MissingParameter', 'The request must contain the parameter MessageGroupId.');
      groupId = checkToken('MessageGroupId', s.groupId);
      if (s.dedupId !== undefined && s.dedupId !== null) dedupId = checkToken('MessageDeduplicationId', s.dedupId);
      else if (q.attrs.ContentBasedDeduplication) dedupId = createHash('sha256').update(body).digest('hex');
      else throw new AwsError('InvalidParameterValue', 'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
      const key = q.attrs.DeduplicationScope === 'messageGroup' ? `${groupId}\u0000${dedupId}` : dedupId;
      const seen = q.dedup.get(key);
      if (seen && seen.expires > now) return { messageId: seen.messageId, md5Body, md5Attrs, md5Sys, seqNumber: seen.seqNumber };
      const seq = q.nextSeq++;
      const m = this.newMessage(q, seq, body, attrs, sysAttrs, md5Body, md5Attrs, now, now, senderId);
      m.groupId = groupId;
      m.dedupId = dedupId;
      m.seqNumber = seqNumber(seq);
      q.dedup.set(key, { messageId: m.id, seqNumber: m.seqNumber, expires: now + DEDUP_WINDOW_MS });
      this.journal.add('INSERT OR REPLACE INTO sqs_dedup (queue, k, message_id, seq_number, expires) VALUES (?, ?, ?, ?, ?)', [q.arn, key, m.id, m.seqNumber, now + DEDUP_WINDOW_MS]);
      this.persistMessage(q, m);
      q.mq.add(m);
      return { messageId: m.id, md5Body, md5Attrs, md5Sys, seqNumber: m.seqNumber };
    }
    if (s.dedupId !== undefined && s.dedupId !== null)
      throw new AwsError('InvalidParameterValue', 'Value for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.');
    const visibleAt = now + (delay ?? q.attrs.DelaySeconds) * 1000;
    const m = this.newMessage(q, q.nextSeq++, body, attrs, sysAttrs, md5Body, md5Attrs, now, visibleAt, senderId);
    this.persistMessage(q, m);
    q.mq.add(m);
    return { messageId: m.id, md5Body, md5Attrs, md5Sys, seqNumber: undefined };
  }

  private newMessage(q: Queue, seq: number, body: string, attrs: Record<string, MessageAttribute>, sysAttrs: Record<string, MessageAttribute>, md5Body: string, md5Attrs: string | undefined, now: number, visibleAt: number, senderId: string): Msg {
    // FIFO queue-level delay applies to every message of the queue.
    const vis = q.fifo ? now + q.attrs.DelaySeconds * 1000 : visibleAt;
    return { id: uuid(), seq, body, md5Body, attrs, md5Attrs, sysAttrs, sentTs: now, senderId, receiveCount: 0, firstReceiveTs: 0, visibleAt: vis, state: 'gone', gen: 0 };
  }

  /**
   * Receives up to max messages, waiting up to waitMs for the first to arrive (without holding anything but a timer).
   * A FIFO ReceiveRequestAttemptId seen in the last 5 minutes returns that receive's messages again, with the same
   * receipt handles and a fresh visibility timeout, if none of them was deleted, changed or became visible since.
   */
  async receive(q: Queue, max: number, visibilityMs: number, waitMs: number, signal?: AbortSignal, attemptId?: string): Promise<Msg[]> {
    if (attemptId === undefined || !q.fifo) return this.receiveNew(q, max, visibilityMs, waitMs, signal);
    const now = this.clock.now();
    for (const [id, a] of q.attempts) {
      if (now - a.at < ATTEMPT_WINDOW_MS) break;
      q.attempts.delete(id);
    }
    const prior = q.attempts.get(attemptId);
    if (prior && prior.got.every(({ m, gen }) => m.gen === gen && m.state === 'inflight' && m.visibleAt > now && q.mq.messages.get(m.id) === m)) {
      for (const g of prior.got) {
        q.mq.changeVisibility(g.m, visibilityMs);
        g.gen = g.m.gen;
        this.journal.add('UPDATE sqs_messages SET visible_at = ? WHERE queue = ? AND id = ?', [g.m.visibleAt, q.arn, g.m.id]);
      }
      return prior.got.map((g) => g.m);
    }
    const got = await this.receiveNew(q, max, visibilityMs, waitMs, signal);
    q.attempts.delete(attemptId);
    if (got.length > 0) q.attempts.set(attemptId, { at: this.clock.now(), got: got.map((m) => ({ m, gen: m.gen })) });
    return got;
  }

  private receiveNew(q: Queue, max: number, visibilityMs: number, waitMs: number, signal?: AbortSignal): Promise<Msg[]> {
    const got = q.mq.take(max, visibilityMs);
    if (got.length > 0 || waitMs <= 0 || signal?.aborted || this.releasing) return Promise.resolve(got);
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: Msg[]): void => {
        if (done) return;
        done = true;
        q.waiters.delete(w);
        cancel();
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const w = {
        attempt: (): void => {
          if (!this.queues.has(q.arn)) return finish([]);
          const r = q.mq.take(max, visibilityMs);
          if (r.length > 0) finish(r);
        },
        cancel: (): void => finish([]),
      };
      const onAbort = (): void => finish([]);
      const cancel = this.clock.setTimer(waitMs, () => finish([]));
      signal?.addEventListener('abort', onAbort);
      q.waiters.add(w);
    });
  }

  /** DeleteMessage: a receipt handle of a message that is gone succeeds, as on SQS. */
  deleteMessage(q: Queue, handle: unknown): void {
    const { id, receiveCount } = parseReceiptHandle(handle);
    // FIFO: only the current receive may delete (a late consumer must not delete a message redelivered in order).
    const m = q.fifo ? q.mq.messages.get(id) : undefined;
    if (m && (m.state !== 'inflight' || m.receiveCount !== receiveCount))
      throw new AwsError('ReceiptHandleIsInvalid', `The receipt handle "${String(handle)}" has expired.`);
    if (q.mq.delete(id)) this.journal.add('DELETE FROM sqs_messages WHERE queue = ? AND id = ?', [q.arn, id]);
  }

  changeVisibility(q: Queue, handle: unknown, seconds: number): void {
    const { id, receiveCount } = parseReceiptHandle(handle);
    const m = q.mq.messages.get(id);
    if (!m || m.receiveCount !== receiveCount)
      throw new AwsError('InvalidParameterValue', `Value ${String(handle)} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`);
    if (m.state !== 'inflight') throw new AwsError('MessageNotInflight', 'Message not inflight.');
    if (m.receivedAt !== undefined && this.clock.now() + seconds * 1000 - m.receivedAt > 43_200_000)
      throw new AwsError('InvalidParameterValue', `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`);
    q.mq.changeVisibility(m, seconds * 1000);
    this.journal.add('UPDATE sqs_messages SET visible_at = ? WHERE queue = ? AND id = ?', [m.visibleAt, q.arn, m.id]);
  }

  /**
   * StartMessageMoveTask (dead-letter queue redrive): moves the visible messages of a dead-letter queue back to their
   * source queues (or to `dest`), as new receives; returns how many moved.
   */
  redriveMessages(dlq: Queue, dest: Queue | undefined): number {
    let moved = 0;
    for (;;) {
      const batch = dlq.mq.take(1000, 60_000);
      if (batch.length === 0) break;
      for (const m of batch) {
        const target = dest ?? (m.dlqSource ? this.queues.get(m.dlqSource) : undefined);
        if (!target || target.fifo !== dlq.fifo) {
          // Nowhere to go: leave it in the dead-letter queue, visible again.
          dlq.mq.changeVisibility(m, 0);
          m.receiveCount--;
          continue;
        }
        dlq.mq.delete(m.id);
        this.journal.add('DELETE FROM sqs_messages WHERE queue = ? AND id = ?', [dlq.arn, m.id]);
        const seq = target.nextSeq++;
        const copy: Msg = { ...m, seq, receiveCount: 0, firstReceiveTs: 0, visibleAt: this.clock.now(), state: 'gone', gen: 0 };
        delete copy.dlqSource;
        if (target.fifo) copy.seqNumber = seqNumber(seq);
        this.persistMessage(target, copy);
        target.mq.add(copy);
        moved++;
      }
      if (batch.every((m) => m.state !== 'gone')) break;
    }
    return moved;
  }

  now(): number {
    return this.clock.now();
  }

  queueUrl(baseUrl: string, q: Queue): string {
    return `${baseUrl}/${this.accountId}/${q.name}`;
  }

  onAvailable(arn: string, listener: () => void): () => void {
    let set = this.listeners.get(arn);
    if (!set) this.listeners.set(arn, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(arn) === set) this.listeners.delete(arn);
    };
  }

  /** The module API (no HTTP): queues addressed by ARN. */
  readonly broker: QueueBroker = createBroker(this);

  /** The queue with this ARN, or QueueDoesNotExist. */
  requireArn(arn: string): Queue {
    const q = this.queues.get(arn);
    if (!q) throw new AwsError('QueueDoesNotExist', `The specified queue does not exist: ${arn}`);
    return q;
  }

  /** Base URL of this server for queue URLs handed out without a request (module API). */
  endpointUrl(): string {
    return this.o.endpointUrl();
  }
}

export const seqNumber = (seq: number): string => (10n ** 19n + BigInt(seq)).toString();

function checkToken(name: string, v: unknown): string {
  if (typeof v !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(v))
    throw new AwsError('InvalidParameterValue', `Value ${String(v)} for parameter ${name} is invalid. Reason: ${name} can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
  return v;
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
