// Publish intake: checks a message against its topic, picks the confirmed subscriptions whose filter policy it
// matches, and writes in ONE journal group the FIFO deduplication record and one work item per delivery (queue
// `sns:<subscriptionArn>`), so that an acknowledged publish is delivered at least once even after kill -9.
import { matchesFilterPolicy } from '../../lib/filter-policy.js';
import type { Clock } from '../../lib/clock.js';
import { uuid } from '../../lib/ids.js';
import type { Journal } from '../../store/journal.js';
import type { Notifier } from '../../store/notifier.js';
import type { Store } from '../../store/store.js';
import type { WorkQueues } from '../../store/work.js';
import type { Delivered } from './envelope.js';
import type { Subscription, Topic } from './model.js';
import { messageFor, type Prepared } from './publish.js';
import type { Registry } from './registry.js';

/** The notifier channel on which a new work item is announced (payload: its queue). */
export const WORK_CHANNEL = 'sns:work';
export const queueOf = (subscriptionArn: string): string => `sns:${subscriptionArn}`;
export const DEDUP_WINDOW_MS = 300_000;

/** A work item's payload. */
export type WorkPayload =
  | { kind: 'notify'; sub: string; msg: Delivered; retries: number; /** Give-ups the dead-letter queue refused (a full disk): retried. */ deadLetterAttempts?: number }
  | { kind: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation'; sub: string; topicArn: string; protocol: string; endpoint: string; token: string; id: string; timestamp: number; retries: number };

/** Protocols selfless delivers to (others are accepted and stay pending: email, sms, application, firehose). */
export const DELIVERED_PROTOCOLS = new Set(['lambda', 'sqs', 'http', 'https']);

export interface IntakeDeps {
  store: Store;
  journal: Journal;
  clock: Clock;
  notifier: Notifier;
  work: WorkQueues;
  registry: Registry;
}

function filterMatches(s: Subscription, p: Prepared, body: string): boolean {
  const text = s.attributes['FilterPolicy'];
  if (!text) return true;
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    return false;
  }
  const scope = s.attributes['FilterPolicyScope'] === 'MessageBody' ? 'MessageBody' : 'MessageAttributes';
  return matchesFilterPolicy(policy, scope, { attributes: p.attributes, body });
}

export class Intake {
  private seq = 0;
  private lastSeqMs = 0;

  constructor(private readonly d: IntakeDeps) {}

  /** An id that sorts in arrival order within a queue, unique across nodes. */
  private workId(now: number): string {
    return `${now.toString(36).padStart(9, '0')}${(++this.seq % 0x10000000).toString(16).padStart(7, '0')}${this.d.work.owner}`;
  }

  /** FIFO sequence numbers: 20 digits, increasing on this node. */
  private sequenceNumber(now: number): string {
    const ms = Math.max(now, this.lastSeqMs);
    this.lastSeqMs = ms;
    return `${ms}${String(++this.seq % 10_000_000).padStart(7, '0')}`.padStart(20, '1');
  }

  async publish(topic: Topic, p: Prepared): Promise<{ messageId: string; sequenceNumber?: string }> {
    const now = this.d.clock.now();
    const messageId = uuid();
    const sequenceNumber = topic.fifo ? this.sequenceNumber(now) : undefined;
    const attributes: Delivered['attributes'] = {};
    for (const [k, v] of Object.entries(p.attributes)) attributes[k] = { DataType: v.DataType, ...(v.BinaryValue ? { BinaryValue: v.BinaryValue.toString('base64') } : { StringValue: v.StringValue }) };
    const stmts: [string, (string | number | Buffer)[]][] = [];
    if (p.dedupId !== undefined && topic.fifo) {
      stmts.push(['DELETE FROM sns_dedup WHERE topic_arn = ? AND dedup_id = ? AND at < ?', [topic.arn, p.dedupId, now - DEDUP_WINDOW_MS]]);
      stmts.push(['INSERT INTO sns_dedup (topic_arn, dedup_id, message_id, seq, at) VALUES (?, ?, ?, ?, ?)', [topic.arn, p.dedupId, messageId, sequenceNumber ?? '', now]]);
    }
    const queues: string[] = [];
    for (const s of await this.d.registry.currentSubscriptionsOf(topic.arn)) {
      if (!s.confirmed || !DELIVERED_PROTOCOLS.has(s.protocol)) continue;
      const message = messageFor(p, s.protocol);
      if (!filterMatches(s, p, message)) continue;
      const msg: Delivered = {
        id: messageId,
        topicArn: topic.arn,
        message,
        timestamp: now,
        attributes,
        ...(p.subject !== undefined ? { subject: p.subject } : {}),
        ...(p.groupId !== undefined ? { groupId: p.groupId } : {}),
        ...(p.dedupId !== undefined ? { dedupId: p.dedupId } : {}),
        ...(sequenceNumber !== undefined ? { sequenceNumber } : {}),
        ...(p.traceHeader !== undefined ? { trace: p.traceHeader } : {}),
      };
      const payload: WorkPayload = { kind: 'notify', sub: s.arn, msg, retries: 0 };
      const q = queueOf(s.arn);
      queues.push(q);
      stmts.push(...(this.d.work.insertStatements(q, [{ id: this.workId(now), payload: Buffer.from(JSON.stringify(payload)) }]) as [string, (string | number | Buffer)[]][]));
    }
    if (stmts.length > 0) {
      try {
        await this.d.journal.write(stmts);
      } catch (e) {
        // The deduplication record's key was taken within the window: AWS answers with the first message's ids.
        if (p.dedupId !== undefined && topic.fifo) {
          const prior = await this.d.store.get<{ message_id: string; seq: string }>('SELECT message_id, seq FROM sns_dedup WHERE topic_arn = ? AND dedup_id = ? AND at >= ?', [topic.arn, p.dedupId, now - DEDUP_WINDOW_MS]);
          if (prior) return { messageId: prior.message_id, ...(prior.seq ? { sequenceNumber: prior.seq } : {}) };
        }
        throw e;
      }
      for (const q of queues) this.d.notifier.notify(WORK_CHANNEL, q);
    }
    return { messageId, ...(sequenceNumber !== undefined ? { sequenceNumber } : {}) };
  }

  /** Queues a SubscriptionConfirmation or UnsubscribeConfirmation to an HTTP/S endpoint (durable). */
  async confirmation(kind: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation', s: Subscription): Promise<void> {
    const now = this.d.clock.now();
    const payload: WorkPayload = { kind, sub: s.arn, topicArn: s.topicArn, protocol: s.protocol, endpoint: s.endpoint, token: s.token, id: uuid(), timestamp: now, retries: 0 };
    const q = queueOf(s.arn);
    await this.d.journal.write(this.d.work.insertStatements(q, [{ id: this.workId(now), payload: Buffer.from(JSON.stringify(payload)) }]));
    this.d.notifier.notify(WORK_CHANNEL, q);
  }

  /** Drops expired deduplication records. */
  async prune(): Promise<void> {
    await this.d.store.run('DELETE FROM sns_dedup WHERE at < ?', [this.d.clock.now() - DEDUP_WINDOW_MS]);
  }
}
