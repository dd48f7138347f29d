// Messages as rows of sqs_messages: the row ↔ message mapping and the SQL of the hot paths (send, claim, delete,
// change visibility, counts). Every statement is portable (SQLite and PostgreSQL) and runs through the journal.
//
// A message's state follows from its row, not from a state field: visible when visible_at <= now; in flight when
// visible_at > now and it was received (receive_count > 0); delayed when visible_at > now and never received. A
// receive is an UPDATE … RETURNING over an inner SELECT (FOR UPDATE SKIP LOCKED on PostgreSQL), so each message is
// claimed by one receive per visibility period across every node.
import { createHash, createHmac } from 'node:crypto';
import { AwsError } from '../../lib/errors.js';
import { hex } from '../../lib/ids.js';
import type { SqlValue } from '../../store/index.js';
import type { Stmt } from '../../store/journal.js';
import type { MessageAttribute } from './broker.js';
import { md5Hex, md5OfAttributes } from './md5.js';

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
  visibleAt: number;
  /** The receipt handle of this receive (empty for a message not received). */
  receipt: string;
}

/** The columns a claim returns. */
export const MSG_COLUMNS = 'id, seq, body, attrs, sys, sent, visible_at, receive_count, first_receive, group_id, dlq_source';

export interface MsgRow {
  id: string;
  seq: number;
  body: string;
  attrs: string | null;
  sys: string;
  sent: number;
  visible_at: number;
  receive_count: number;
  first_receive: number;
  group_id: string | null;
  dlq_source: string | null;
}

/** What the `sys` column holds (version 1 rows may also carry groupId, seqNumber and dlqSource). */
interface SysJson {
  senderId: string;
  dedupId?: string;
  trace?: string;
}

type AttrJson = Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
export const attrsToJson = (a: Record<string, MessageAttribute>): string | null => {
  const keys = Object.keys(a);
  if (keys.length === 0) return null;
  const o: AttrJson = Object.create(null) as AttrJson; // a name such as __proto__ is a plain key
  for (const k of keys) {
    const v = a[k]!;
    o[k] = v.BinaryValue !== undefined ? { DataType: v.DataType, BinaryValue: v.BinaryValue.toString('base64') } : { DataType: v.DataType, StringValue: v.StringValue ?? '' };
  }
  return JSON.stringify(o);
};
const attrsFromJson = (s: string | null): Record<string, MessageAttribute> => {
  const out: Record<string, MessageAttribute> = Object.create(null) as Record<string, MessageAttribute>;
  if (!s) return out;
  const o = JSON.parse(s) as AttrJson;
  for (const [k, v] of Object.entries(o))
    out[k] = v.BinaryValue !== undefined ? { DataType: v.DataType, BinaryValue: Buffer.from(v.BinaryValue, 'base64') } : { DataType: v.DataType, StringValue: v.StringValue ?? '' };
  return out;
};

export const sysToJson = (senderId: string, dedupId: string | undefined, trace: string | undefined): string =>
  JSON.stringify({ senderId, ...(dedupId !== undefined ? { dedupId } : {}), ...(trace !== undefined ? { trace } : {}) } satisfies SysJson);

export const seqNumber = (seq: number): string => (10n ** 19n + BigInt(seq)).toString();

/** A row as a message; `fifo` decides whether it carries a SequenceNumber. */
export function rowToMsg(r: MsgRow, fifo: boolean, receipt: string): Msg {
  const sys = JSON.parse(r.sys) as SysJson;
  const attrs = attrsFromJson(r.attrs);
  return {
    id: r.id,
    seq: Number(r.seq),
    body: r.body,
    md5Body: md5Hex(r.body),
    attrs,
    md5Attrs: md5OfAttributes(attrs),
    sysAttrs: sys.trace !== undefined ? { AWSTraceHeader: { DataType: 'String', StringValue: sys.trace } } : {},
    sentTs: Number(r.sent),
    senderId: sys.senderId,
    ...(r.group_id !== null ? { groupId: r.group_id } : {}),
    ...(sys.dedupId !== undefined ? { dedupId: sys.dedupId } : {}),
    ...(fifo ? { seqNumber: seqNumber(Number(r.seq)) } : {}),
    ...(r.dlq_source !== null ? { dlqSource: r.dlq_source } : {}),
    receiveCount: Number(r.receive_count),
    firstReceiveTs: Number(r.first_receive),
    visibleAt: Number(r.visible_at),
    receipt,
  };
}

/** A validated message ready to insert. */
export interface NewMsg {
  id: string;
  body: string;
  attrsJson: string | null;
  sysJson: string;
  visibleAt: number;
  groupId?: string;
  /** FIFO: the deduplication key (scope applied). */
  dedupKey?: string;
}

const INSERT_HEAD = 'INSERT INTO sqs_messages (queue, id, seq, body, attrs, sys, sent, visible_at, receive_count, first_receive, group_id, dlq_source, received_at) VALUES ';
// The queue column comes from the queue's row: a send to a queue deleted meanwhile (on any node) violates NOT NULL
// and fails its group instead of leaving orphan rows.
const QUEUE_REF = '(SELECT arn FROM sqs_queues WHERE arn = ?)';

/**
 * A standard queue's send of a batch: one INSERT. Standard queues keep no counter (no row every sender would lock);
 * `seqs` only orders messages of equal visibility.
 */
export function standardSend(arn: string, msgs: readonly NewMsg[], seqs: readonly number[], now: number): Stmt[] {
  const params: SqlValue[] = [];
  const rows: string[] = [];
  msgs.forEach((m, i) => {
    rows.push(`(${QUEUE_REF}, ?, ?, ?, ?, ?, ?, ?, 0, 0, NULL, NULL, 0)`);
    params.push(arn, m.id, seqs[i]!, m.body, m.attrsJson, m.sysJson, now, m.visibleAt);
  });
  return [[INSERT_HEAD + rows.join(', '), params]];
}

/**
 * A FIFO send of a batch in one group: the queue's counter row is bumped by the batch size (this also locks the
 * queue row on PostgreSQL, ordering concurrent FIFO sends), each message takes its number from it, a message whose
 * dedup key is already taken within the window is removed again, and the last statement reads back each key's
 * winner (message id and seq).
 */
export function fifoSend(arn: string, msgs: readonly NewMsg[], now: number, dedupWindowMs: number): Stmt[] {
  const n = msgs.length;
  const out: Stmt[] = [['UPDATE sqs_queues SET seq = seq + ? WHERE arn = ?', [n, arn]]];
  const seqOf = '(SELECT seq FROM sqs_queues WHERE arn = ?) - ?';
  msgs.forEach((m, i) => {
    const back = n - 1 - i;
    out.push(['DELETE FROM sqs_dedup WHERE queue = ? AND k = ? AND expires <= ?', [arn, m.dedupKey!, now]]);
    out.push([
      `INSERT INTO sqs_dedup (queue, k, message_id, seq_number, expires, seq) VALUES (?, ?, ?, NULL, ?, ${seqOf}) ON CONFLICT (queue, k) DO NOTHING`,
      [arn, m.dedupKey!, m.id, now + dedupWindowMs, arn, back],
    ]);
    out.push([`${INSERT_HEAD}(${QUEUE_REF}, ?, ${seqOf}, ?, ?, ?, ?, ?, 0, 0, ?, NULL, 0)`, [arn, m.id, arn, back, m.body, m.attrsJson, m.sysJson, now, m.visibleAt, m.groupId!]]);
    out.push(['DELETE FROM sqs_messages WHERE queue = ? AND id = ? AND NOT EXISTS (SELECT 1 FROM sqs_dedup d WHERE d.queue = ? AND d.k = ? AND d.message_id = ?)', [arn, m.id, arn, m.dedupKey!, m.id]]);
  });
  const keys = [...new Set(msgs.map((m) => m.dedupKey!))];
  out.push([`SELECT k, message_id, seq, seq_number FROM sqs_dedup WHERE queue = ? AND k IN (${keys.map(() => '?').join(', ')})`, [arn, ...keys]]);
  return out;
}

export interface ClaimOpts {
  arn: string;
  fifo: boolean;
  max: number;
  now: number;
  visibilityMs: number;
  retentionMs: number;
  /** With a dead-letter queue: messages received this often are moved, never received again. */
  maxReceiveCount?: number;
  skipLocked: string;
}

/**
 * The claim: makes up to `max` visible messages in flight, counting the receive. FIFO: only messages of groups with
 * nothing in flight, and in a group only those before its first message not yet visible; the queue row is locked
 * first so that claims on other nodes see this one's before choosing (a group is never served twice at once).
 */
export function claim(o: ClaimOpts): Stmt[] {
  const out: Stmt[] = [];
  const where: string[] = ['m.queue = ?', 'm.visible_at <= ?', 'm.sent > ?'];
  const params: SqlValue[] = [o.arn, o.now, o.now - o.retentionMs];
  if (o.maxReceiveCount !== undefined) {
    where.push('m.receive_count < ?');
    params.push(o.maxReceiveCount);
  }
  let order = 'm.visible_at, m.seq';
  if (o.fifo) {
    out.push(['UPDATE sqs_queues SET seq = seq WHERE arn = ?', [o.arn]]);
    where.push('NOT EXISTS (SELECT 1 FROM sqs_messages b WHERE b.queue = m.queue AND b.group_id = m.group_id AND b.visible_at > ? AND (b.receive_count > 0 OR b.seq < m.seq))');
    params.push(o.now);
    order = 'm.seq';
  }
  out.push([
    // The candidates are a CTE: PostgreSQL materialises a CTE with FOR UPDATE once, where `IN (subquery … LIMIT)`
    // may be re-run by the plan and claim more than the limit.
    `WITH c AS (SELECT m.id FROM sqs_messages m WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?${o.skipLocked}) ` +
      `UPDATE sqs_messages SET visible_at = ?, receive_count = receive_count + 1, first_receive = CASE WHEN first_receive = 0 THEN ? ELSE first_receive END, received_at = ? ` +
      `WHERE queue = ? AND id IN (SELECT id FROM c) RETURNING ${MSG_COLUMNS}`,
    [...params, o.max, o.now + o.visibilityMs, o.now, o.now, o.arn],
  ]);
  return out;
}

/**
 * Moves one message to the dead-letter queue in the claim's commit: the row changes queue (keeping its id, body and
 * sent time), takes a number from the dead-letter queue's counter and starts over as never received. The WHERE
 * repeats what was read, so a message another node moved or received meanwhile is left alone.
 */
export function moveToDlq(src: string, dlq: string, id: string, receiveCount: number, visibleAt: number, now: number): Stmt[] {
  return [
    ['UPDATE sqs_queues SET seq = seq + 1 WHERE arn = ?', [dlq]],
    [
      "UPDATE sqs_messages SET queue = ?, seq = (SELECT seq FROM sqs_queues WHERE arn = ?), dlq_source = ?, receive_count = 0, first_receive = 0, received_at = 0, visible_at = ?, group_id = COALESCE(group_id, 'default') " +
        'WHERE queue = ? AND id = ? AND receive_count = ? AND visible_at = ?',
      [dlq, dlq, src, now, src, id, receiveCount, visibleAt],
    ],
  ];
}

/** Moves a message of a dead-letter queue back to `target` (StartMessageMoveTask), as a new message there. */
export function moveBack(dlq: string, target: string, id: string, now: number): Stmt[] {
  return [
    ['UPDATE sqs_queues SET seq = seq + 1 WHERE arn = ?', [target]],
    [
      'UPDATE sqs_messages SET queue = ?, seq = (SELECT seq FROM sqs_queues WHERE arn = ?), dlq_source = NULL, receive_count = 0, first_receive = 0, received_at = 0, visible_at = ? ' +
        'WHERE queue = ? AND id = ? AND visible_at <= ?',
      [target, target, now, dlq, id, now],
    ],
  ];
}

/** The approximate counts of GetQueueAttributes, computed by the store. */
export const COUNTS_SQL =
  'SELECT COALESCE(SUM(CASE WHEN visible_at <= ? THEN 1 ELSE 0 END), 0) AS visible, ' +
  'COALESCE(SUM(CASE WHEN visible_at > ? AND receive_count > 0 THEN 1 ELSE 0 END), 0) AS inflight, ' +
  'COALESCE(SUM(CASE WHEN visible_at > ? AND receive_count = 0 THEN 1 ELSE 0 END), 0) AS delayed ' +
  'FROM sqs_messages WHERE queue = ? AND sent > ?';

/** When the next message of a queue becomes visible (a delay or a visibility timeout ending), for waiters' timers. */
export const NEXT_VISIBLE_SQL = 'SELECT MIN(visible_at) AS at FROM sqs_messages WHERE queue = ? AND visible_at > ?';

export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

const HANDLE_RE = /^([0-9a-f-]{36}):(\d+):([0-9a-f]{16}):([0-9a-f]{24})$/;

/**
 * Receipt handles name the message, the receive (its count) that handed them out and a per-receive nonce, and carry a
 * MAC over those and the queue's ARN with the store's secret: a handle changed by one character, or one of another
 * queue, is ReceiptHandleIsInvalid (as on AWS), not a delete of whatever it would name.
 */
export class ReceiptHandles {
  constructor(private readonly secret: string) {}

  private mac(queueArn: string, body: string): string {
    return createHmac('sha256', this.secret).update(`${queueArn}\n${body}`).digest('hex').slice(0, 24);
  }

  make(queueArn: string, id: string, receiveCount: number, nonce: string): string {
    const body = `${id}:${receiveCount}:${nonce}`;
    return Buffer.from(`${body}:${this.mac(queueArn, body)}`).toString('base64url');
  }

  parse(queueArn: string, h: unknown): { id: string; receiveCount: number } {
    const t = typeof h === 'string' ? HANDLE_RE.exec(Buffer.from(h, 'base64url').toString('latin1')) : null;
    if (!t || this.mac(queueArn, `${t[1]}:${t[2]}:${t[3]}`) !== t[4]) throw new AwsError('ReceiptHandleIsInvalid', `The input receipt handle "${String(h)}" is not a valid receipt handle.`);
    return { id: t[1]!, receiveCount: Number(t[2]) };
  }
}
export const receiptNonce = (): string => hex(8);

export function checkToken(name: string, v: unknown): string {
  if (typeof v !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(v))
    throw new AwsError('InvalidParameterValue', `Value ${String(v)} for parameter ${name} is invalid. Reason: ${name} can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
  return v;
}

export const contentDedupId = (body: string): string => createHash('sha256').update(body).digest('hex');
