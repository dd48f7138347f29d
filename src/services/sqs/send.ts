// The message operations of the SQS domain over the store: send (validation, dedup, sequence numbers), the claim
// of a receive (with dead-letter moves in the same commit), delete, change visibility, ReceiveRequestAttemptId
// replays, counts and DLQ redrive. Every write goes through the store's journal (group commit) and is acknowledged
// once committed; the queue's channel is notified after a commit that made messages visible.
import type { Clock } from '../../lib/clock.js';
import { TurnBatch } from '../../lib/turn-batch.js';
import { AwsError } from '../../lib/errors.js';
import { uuid } from '../../lib/ids.js';
import type { Store } from '../../store/store.js';
import type { Stmt, WriteResult } from '../../store/journal.js';
import { md5Hex, md5OfAttributes } from './md5.js';
import { attrsToJson, claim, COUNTS_SQL, fifoSend, moveBack, moveToDlq, NEXT_VISIBLE_SQL, placeholders, rowToMsg, seqNumber, standardSend, sysToJson, MSG_COLUMNS, checkToken, contentDedupId, ReceiptHandles, receiptNonce, type Msg, type MsgRow, type NewMsg } from './messages.js';
import { checkBody, checkDelay, checkMessageAttributes, messageSize } from './validate.js';
import type { Queue, SqsService } from './service.js';

export interface SendInput {
  body: unknown;
  messageAttributes?: unknown;
  systemAttributes?: unknown;
  delaySeconds?: unknown;
  groupId?: unknown;
  dedupId?: unknown;
  /** The request's X-Amzn-Trace-Id: AWSTraceHeader when MessageSystemAttributes does not set it. */
  traceHeader?: string;
}

export interface SendResult {
  messageId: string;
  md5Body: string;
  md5Attrs: string | undefined;
  md5Sys: string | undefined;
  seqNumber: string | undefined;
}

const DEDUP_WINDOW_MS = 5 * 60_000;
/** How long a FIFO ReceiveRequestAttemptId can be retried (AWS: 5 minutes). */
const ATTEMPT_WINDOW_MS = 300_000;
const VISIBILITY_LIMIT_MS = 43_200_000;

/** Deadlocks between nodes' group commits (two FIFO queues locked in opposite orders) are retried. */
const RETRYABLE = /deadlock detected|could not serialize/i;

export class Messages {
  /** Standard queues order messages of equal visibility by this node-local, clock-seeded number (no shared counter). */
  private lastSeq = 0;

  /**
   * PostgreSQL: concurrent sends to one standard queue share one multi-row INSERT (up to 1 MiB of bodies), and deletes
   * one DELETE, as SQLite's one writer already commits a turn's writes together (measured: 1.3–1.6× on PostgreSQL,
   * none on SQLite).
   */
  private get merge(): boolean {
    return this.store.kind !== 'sqlite';
  }
  private readonly standardSends = new TurnBatch<string, { msg: NewMsg; seq: number }>(
    async (arn, items) => void (await this.write(standardSend(arn, items.map((i) => i.msg), items.map((i) => i.seq), this.clock.now()))),
    1 << 20,
    (i) => i.msg.body.length + 256,
  );
  private readonly standardDeletes = new TurnBatch<string, string>(
    async (arn, ids) => void (await this.write([[`DELETE FROM sqs_messages WHERE queue = ? AND id IN (${placeholders(ids.length)})`, [arn, ...ids]]])),
    500,
  );

  /** Set by the service's init from the store's secret, before any request. */
  handles = new ReceiptHandles('');

  constructor(
    private readonly svc: SqsService,
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  private async write(group: readonly Stmt[]): Promise<WriteResult[]> {
    for (let i = 0; ; i++) {
      try {
        return await this.store.journal.write(group);
      } catch (e) {
        if (i >= 3 || !RETRYABLE.test(e instanceof Error ? e.message : String(e))) throw e;
      }
    }
  }

  private notFound(q: Queue): Promise<AwsError> {
    return this.svc.refresh(q.arn).then(() => new AwsError('QueueDoesNotExist', 'The specified queue does not exist.'));
  }

  /** Validates one message for the queue; throws AwsError for a bad one. */
  private prepare(q: Queue, s: SendInput, senderId: string, now: number): { msg: NewMsg; result: SendResult } {
    const body = checkBody(s.body);
    const attrs = checkMessageAttributes(s.messageAttributes);
    const sysAttrs = checkMessageAttributes(s.systemAttributes, 'system');
    if (messageSize(body, attrs) > q.attrs.MaximumMessageSize)
      throw new AwsError('InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${q.attrs.MaximumMessageSize} bytes.`);
    const delay = checkDelay(s.delaySeconds);
    const id = uuid();
    const result: SendResult = { messageId: id, md5Body: md5Hex(body), md5Attrs: md5OfAttributes(attrs), md5Sys: md5OfAttributes(sysAttrs), seqNumber: undefined };
    const trace = sysAttrs['AWSTraceHeader']?.StringValue ?? s.traceHeader;
    if (!q.fifo) {
      if (s.dedupId !== undefined && s.dedupId !== null)
        throw new AwsError('InvalidParameterValue', 'Value for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.');
      const visibleAt = now + (delay ?? q.attrs.DelaySeconds) * 1000;
      return { msg: { id, body, attrsJson: attrsToJson(attrs), sysJson: sysToJson(senderId, undefined, trace), visibleAt }, result };
    }
    if (delay !== undefined && delay !== 0)
      throw new AwsError('InvalidParameterValue', `Value ${delay} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`);
    if (s.groupId === undefined || s.groupId === null) throw new AwsError('MissingParameter', 'The request must contain the parameter MessageGroupId.');
    const groupId = checkToken('MessageGroupId', s.groupId);
    let dedupId: string;
    if (s.dedupId !== undefined && s.dedupId !== null) dedupId = checkToken('MessageDeduplicationId', s.dedupId);
    else if (q.attrs.ContentBasedDeduplication) dedupId = contentDedupId(body);
    else throw new AwsError('InvalidParameterValue', 'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
    const dedupKey = q.attrs.DeduplicationScope === 'messageGroup' ? `${groupId}\u0000${dedupId}` : dedupId;
    // FIFO queue-level delay applies to every message of the queue.
    const visibleAt = now + q.attrs.DelaySeconds * 1000;
    return { msg: { id, body, attrsJson: attrsToJson(attrs), sysJson: sysToJson(senderId, dedupId, trace), visibleAt, groupId, dedupKey }, result };
  }

  /** Sends the valid messages in one group (one statement for a standard queue); a bad one is its own AwsError. */
  async send(q: Queue, inputs: readonly SendInput[], senderId: string): Promise<(SendResult | AwsError)[]> {
    const now = this.clock.now();
    const out: (SendResult | AwsError)[] = [];
    const ok: { msg: NewMsg; result: SendResult }[] = [];
    for (const s of inputs) {
      try {
        const p = this.prepare(q, s, senderId, now);
        ok.push(p);
        out.push(p.result);
      } catch (e) {
        if (!(e instanceof AwsError)) throw e;
        out.push(e);
      }
    }
    if (ok.length === 0) return out;
    const msgs = ok.map((p) => p.msg);
    let res: WriteResult[];
    try {
      if (q.fifo) res = await this.write(fifoSend(q.arn, msgs, now, DEDUP_WINDOW_MS));
      else {
        const items = msgs.map((msg) => ({ msg, seq: (this.lastSeq = Math.max(this.lastSeq + 1, now * 1000)) }));
        if (this.merge) await this.standardSends.add(q.arn, items);
        else await this.standardSends.flushNow(q.arn, items);
        res = [];
      }
    } catch (e) {
      // The queue reference is NULL when the queue is gone (deleted on any node): its NOT NULL fails the group.
      if (!(await this.svc.refresh(q.arn))) throw await this.notFound(q);
      throw e;
    }
    if (q.fifo) {
      if (res[0]?.changes === 0) throw await this.notFound(q);
      const winners = new Map((res[res.length - 1]?.rows ?? []).map((r) => [String(r['k']), r]));
      for (const p of ok) {
        const w = winners.get(p.msg.dedupKey!);
        p.result.messageId = w ? String(w['message_id']) : p.result.messageId;
        p.result.seqNumber = w?.['seq'] !== null && w?.['seq'] !== undefined ? seqNumber(Number(w['seq'])) : String(w?.['seq_number'] ?? '');
      }
    }
    const later = msgs.reduce((t, m) => (m.visibleAt > now ? Math.min(t, m.visibleAt) : t), Infinity);
    this.svc.watches.announce(q.arn, msgs.length, later === Infinity ? undefined : later);
    return out;
  }

  /** Claims up to max visible messages for visibilityMs; moves messages past maxReceiveCount in the same commit. */
  async claim(q: Queue, max: number, visibilityMs: number): Promise<Msg[]> {
    const now = this.clock.now();
    const dlq = q.redrive ? this.svc.byArn(q.redrive.deadLetterTargetArn) : undefined;
    const group: Stmt[] = [];
    let moves = 0;
    if (dlq && dlq !== q && q.redrive) {
      const over = await this.store.all<{ id: string; receive_count: number; visible_at: number }>(
        'SELECT id, receive_count, visible_at FROM sqs_messages WHERE queue = ? AND visible_at <= ? AND receive_count >= ? ORDER BY seq LIMIT 100',
        [q.arn, now, q.redrive.maxReceiveCount],
      );
      for (const r of over) group.push(...moveToDlq(q.arn, dlq.arn, r.id, Number(r.receive_count), Number(r.visible_at), now));
      moves = over.length;
    }
    group.push(
      ...claim({
        arn: q.arn,
        fifo: q.fifo,
        max,
        now,
        visibilityMs,
        retentionMs: q.attrs.MessageRetentionPeriod * 1000,
        ...(dlq && dlq !== q && q.redrive ? { maxReceiveCount: q.redrive.maxReceiveCount } : {}),
        skipLocked: this.store.dialect.skipLocked,
      }),
    );
    const res = await this.write(group);
    if (moves > 0 && dlq) this.svc.watches.announce(dlq.arn, moves);
    const rows = (res[res.length - 1]?.rows ?? []) as unknown as MsgRow[];
    rows.sort((a, b) => Number(a.visible_at) - Number(b.visible_at) || Number(a.seq) - Number(b.seq));
    const nonce = receiptNonce();
    return rows.map((r) => rowToMsg(r, q.fifo, this.handles.make(q.arn, r.id, Number(r.receive_count), nonce)));
  }

  /** FIFO: the messages of a ReceiveRequestAttemptId of the last 5 minutes, again, if none changed since. */
  async replayAttempt(q: Queue, attempt: string, visibilityMs: number): Promise<Msg[] | undefined> {
    const now = this.clock.now();
    const a = await this.store.get<{ at: number; items: string }>('SELECT at, items FROM sqs_attempts WHERE queue = ? AND attempt = ?', [q.arn, attempt]);
    if (!a || now - Number(a.at) >= ATTEMPT_WINDOW_MS) return undefined;
    const items = JSON.parse(a.items) as [id: string, receiveCount: number, visibleAt: number, receipt: string][];
    if (items.length === 0 || items.some((i) => i[2] <= now)) return undefined;
    const vis = now + visibilityMs;
    const group: Stmt[] = items.map(([id, count, at]) => [
      `UPDATE sqs_messages SET visible_at = ? WHERE queue = ? AND id = ? AND receive_count = ? AND visible_at = ? RETURNING ${MSG_COLUMNS}`,
      [vis, q.arn, id, count, at],
    ]);
    group.push(['UPDATE sqs_attempts SET items = ? WHERE queue = ? AND attempt = ?', [JSON.stringify(items.map(([id, c, , r]) => [id, c, vis, r])), q.arn, attempt]]);
    const res = await this.write(group);
    const rows = res.slice(0, items.length).map((r) => r.rows[0] as unknown as MsgRow | undefined);
    if (rows.some((r) => r === undefined)) return undefined;
    return rows.map((r, i) => rowToMsg(r!, true, items[i]![3]));
  }

  /** FIFO: remembers what a receive with a ReceiveRequestAttemptId got (nothing: forgets the id). */
  async recordAttempt(q: Queue, attempt: string, got: readonly Msg[]): Promise<void> {
    if (got.length === 0) {
      await this.write([['DELETE FROM sqs_attempts WHERE queue = ? AND attempt = ?', [q.arn, attempt]]]);
      return;
    }
    const items = JSON.stringify(got.map((m) => [m.id, m.receiveCount, m.visibleAt, m.receipt]));
    await this.write([
      ['INSERT INTO sqs_attempts (queue, attempt, at, nonce, items) VALUES (?, ?, ?, ?, ?) ON CONFLICT (queue, attempt) DO UPDATE SET at = excluded.at, items = excluded.items', [q.arn, attempt, this.clock.now(), '', items]],
    ]);
  }

  /**
   * DeleteMessage(Batch). Standard: one DELETE for all handles, any receive's handle deletes. FIFO: only the
   * current receive's handle of a message in flight deletes (a late consumer must not delete a redelivered message);
   * deleting unblocks the group, so waiters are woken.
   */
  async delete(q: Queue, handles: readonly unknown[]): Promise<(AwsError | undefined)[]> {
    const out: (AwsError | undefined)[] = [];
    const parsed: { i: number; id: string; receiveCount: number }[] = [];
    handles.forEach((h, i) => {
      try {
        parsed.push({ i, ...this.handles.parse(q.arn, h) });
        out.push(undefined);
      } catch (e) {
        if (!(e instanceof AwsError)) throw e;
        out.push(e);
      }
    });
    if (parsed.length === 0) return out;
    if (!q.fifo) {
      const ids = parsed.map((p) => p.id);
      await (this.merge ? this.standardDeletes.add(q.arn, ids) : this.standardDeletes.flushNow(q.arn, ids));
      return out;
    }
    const now = this.clock.now();
    const group: Stmt[] = parsed.map((p) => ['DELETE FROM sqs_messages WHERE queue = ? AND id = ? AND receive_count = ? AND visible_at > ?', [q.arn, p.id, p.receiveCount, now]]);
    group.push([`SELECT id FROM sqs_messages WHERE queue = ? AND id IN (${placeholders(parsed.length)})`, [q.arn, ...parsed.map((p) => p.id)]]);
    const res = await this.write(group);
    const left = new Set((res[res.length - 1]?.rows ?? []).map((r) => String(r['id'])));
    for (const p of parsed) if (left.has(p.id)) out[p.i] = new AwsError('ReceiptHandleIsInvalid', `The receipt handle "${String(handles[p.i])}" has expired.`);
    if (parsed.some((p) => !left.has(p.id))) this.svc.watches.announce(q.arn, 1);
    return out;
  }

  /**
   * Moves messages in flight (their current receive's handles) to the queue's dead-letter queue now, as the redrive
   * policy would once they exceed maxReceiveCount (Lambda's recursive loop detection stops them this way). False when
   * the queue has no dead-letter queue to move to; handles of messages gone or received again are skipped.
   */
  async deadLetterNow(q: Queue, handles: readonly string[]): Promise<boolean> {
    const dlq = q.redrive ? this.svc.byArn(q.redrive.deadLetterTargetArn) : undefined;
    if (!dlq || dlq === q) return false;
    const now = this.clock.now();
    const group: Stmt[] = [];
    for (const h of handles) {
      let p: { id: string; receiveCount: number };
      try {
        p = this.handles.parse(q.arn, h);
      } catch {
        continue;
      }
      group.push(['UPDATE sqs_queues SET seq = seq + 1 WHERE arn = ?', [dlq.arn]]);
      group.push([
        "UPDATE sqs_messages SET queue = ?, seq = (SELECT seq FROM sqs_queues WHERE arn = ?), dlq_source = ?, receive_count = 0, first_receive = 0, received_at = 0, visible_at = ?, group_id = COALESCE(group_id, 'default') " +
          'WHERE queue = ? AND id = ? AND receive_count = ? AND visible_at > ?',
        [dlq.arn, dlq.arn, q.arn, now, q.arn, p.id, p.receiveCount, now],
      ]);
    }
    if (group.length === 0) return true;
    await this.write(group);
    this.svc.watches.announce(dlq.arn, group.length / 2);
    // A FIFO group blocked by the moved message is free again.
    if (q.fifo) this.svc.watches.announce(q.arn, 1);
    return true;
  }

  /** ChangeMessageVisibility(Batch): only the current receive's handle of a message in flight, within 12 h of it. */
  async changeVisibility(q: Queue, entries: readonly { handle: unknown; seconds: number }[]): Promise<(AwsError | undefined)[]> {
    const now = this.clock.now();
    const out: (AwsError | undefined)[] = [];
    const parsed: { i: number; id: string; receiveCount: number; seconds: number }[] = [];
    entries.forEach((e, i) => {
      try {
        parsed.push({ i, ...this.handles.parse(q.arn, e.handle), seconds: e.seconds });
        out.push(undefined);
      } catch (err) {
        if (!(err instanceof AwsError)) throw err;
        out.push(err);
      }
    });
    if (parsed.length === 0) return out;
    const group: Stmt[] = parsed.map((p) => {
      const at = now + p.seconds * 1000;
      return ['UPDATE sqs_messages SET visible_at = ? WHERE queue = ? AND id = ? AND receive_count = ? AND visible_at > ? AND (received_at = 0 OR received_at >= ?)', [at, q.arn, p.id, p.receiveCount, now, at - VISIBILITY_LIMIT_MS]];
    });
    group.push([`SELECT id, receive_count, visible_at FROM sqs_messages WHERE queue = ? AND id IN (${placeholders(parsed.length)})`, [q.arn, ...parsed.map((p) => p.id)]]);
    const res = await this.write(group);
    const rows = new Map((res[res.length - 1]?.rows ?? []).map((r) => [String(r['id']), r]));
    let visible = 0;
    parsed.forEach((p, k) => {
      if (res[k]?.changes === 1) {
        if (p.seconds === 0) visible++;
        return;
      }
      const r = rows.get(p.id);
      const handle = String(entries[p.i]!.handle);
      if (!r || Number(r['receive_count']) !== p.receiveCount)
        out[p.i] = new AwsError('InvalidParameterValue', `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`);
      else if (Number(r['visible_at']) <= now) out[p.i] = new AwsError('MessageNotInflight', 'Message not inflight.');
      else out[p.i] = new AwsError('InvalidParameterValue', `Value ${p.seconds} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`);
    });
    if (visible > 0) this.svc.watches.announce(q.arn, visible);
    return out;
  }

  async counts(q: Queue): Promise<{ visible: number; inflight: number; delayed: number }> {
    const now = this.clock.now();
    const r = await this.store.get<{ visible: number; inflight: number; delayed: number }>(COUNTS_SQL, [now, now, now, q.arn, now - q.attrs.MessageRetentionPeriod * 1000]);
    return { visible: Number(r?.visible ?? 0), inflight: Number(r?.inflight ?? 0), delayed: Number(r?.delayed ?? 0) };
  }

  async nextVisibleAt(arn: string, after: number): Promise<number | undefined> {
    const r = await this.store.get<{ at: number | null }>(NEXT_VISIBLE_SQL, [arn, after]);
    return r?.at === null || r?.at === undefined ? undefined : Number(r.at);
  }

  /** Whether a message of the queue is visible now (a timer's wake-up is only passed on when one is). */
  async anyVisible(arn: string): Promise<boolean> {
    return (await this.store.get('SELECT id FROM sqs_messages WHERE queue = ? AND visible_at <= ? LIMIT 1', [arn, this.clock.now()])) !== undefined;
  }

  /** Moves the visible messages of a dead-letter queue to their source queues (or `dest`); returns how many moved. */
  async redrive(dlq: Queue, dest: Queue | undefined): Promise<number> {
    let moved = 0;
    const targets = new Set<string>();
    for (;;) {
      const now = this.clock.now();
      const rows = await this.store.all<{ id: string; dlq_source: string | null }>('SELECT id, dlq_source FROM sqs_messages WHERE queue = ? AND visible_at <= ? ORDER BY seq LIMIT 1000', [dlq.arn, now]);
      const group: Stmt[] = [];
      for (const r of rows) {
        // Nowhere to go (no source, or of the other type): the message stays in the dead-letter queue.
        const target = dest ?? (r.dlq_source ? await this.svc.load(r.dlq_source) : undefined);
        if (!target || target.fifo !== dlq.fifo || target.arn === dlq.arn) continue;
        group.push(...moveBack(dlq.arn, target.arn, r.id, now));
        targets.add(target.arn);
      }
      if (group.length === 0) break;
      const res = await this.write(group);
      for (let k = 1; k < res.length; k += 2) moved += res[k]!.changes;
      if (rows.length < 1000) break;
    }
    for (const t of targets) this.svc.watches.announce(t);
    return moved;
  }
}
