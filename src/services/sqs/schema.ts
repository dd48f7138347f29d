// The SQS tables and their migrations: queues (with the per-queue sequence counter), messages, dedup entries,
// ReceiveRequestAttemptIds, recently deleted names and message move tasks. The store is the truth for all of them.
import type { Migration } from '../../store/index.js';

/** Version 2 (cluster mode) in SQLite's words; PostgreSQL's below differs only in types and JSON access. */
const V2_COMMON = (big: string): string => `ALTER TABLE sqs_queues ADD COLUMN seq ${big} NOT NULL DEFAULT 0;
ALTER TABLE sqs_queues ADD COLUMN last_purge ${big} NOT NULL DEFAULT 0;
ALTER TABLE sqs_messages ADD COLUMN group_id TEXT;
ALTER TABLE sqs_messages ADD COLUMN dlq_source TEXT;
ALTER TABLE sqs_messages ADD COLUMN received_at ${big} NOT NULL DEFAULT 0;
ALTER TABLE sqs_dedup ADD COLUMN seq ${big};
CREATE INDEX sqs_messages_visible ON sqs_messages (queue, visible_at, seq);
CREATE INDEX sqs_messages_group ON sqs_messages (queue, group_id, seq);
CREATE TABLE sqs_deleted (arn TEXT PRIMARY KEY, at ${big} NOT NULL);
CREATE TABLE sqs_attempts (queue TEXT NOT NULL, attempt TEXT NOT NULL, at ${big} NOT NULL, nonce TEXT NOT NULL, items TEXT NOT NULL, PRIMARY KEY (queue, attempt));
CREATE TABLE sqs_move_tasks (source TEXT NOT NULL, handle TEXT NOT NULL, at ${big} NOT NULL, task TEXT NOT NULL, PRIMARY KEY (source, handle));
UPDATE sqs_queues SET seq = COALESCE((SELECT MAX(m.seq) FROM sqs_messages m WHERE m.queue = sqs_queues.arn), 0)`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE sqs_queues (arn TEXT PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL, attrs TEXT NOT NULL, tags TEXT NOT NULL, created INTEGER NOT NULL, modified INTEGER NOT NULL);
CREATE TABLE sqs_messages (queue TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, attrs TEXT, sys TEXT NOT NULL, sent INTEGER NOT NULL, visible_at INTEGER NOT NULL, receive_count INTEGER NOT NULL, first_receive INTEGER NOT NULL, PRIMARY KEY (queue, id));
CREATE TABLE sqs_dedup (queue TEXT NOT NULL, k TEXT NOT NULL, message_id TEXT NOT NULL, seq_number TEXT, expires INTEGER NOT NULL, PRIMARY KEY (queue, k))`,
  },
  {
    // Version 1 kept the group and dead-letter source inside the `sys` JSON: they become columns the claims can use.
    version: 2,
    up: {
      sqlite: `${V2_COMMON('INTEGER')};
UPDATE sqs_messages SET group_id = json_extract(sys, '$.groupId'), dlq_source = json_extract(sys, '$.dlqSource')`,
      postgres: `${V2_COMMON('BIGINT')};
UPDATE sqs_messages SET group_id = (sys::json)->>'groupId', dlq_source = (sys::json)->>'dlqSource'`,
    },
  },
  // The key that authenticates receipt handles, one per store (every node of a cluster signs and checks with it).
  { version: 3, up: 'CREATE TABLE sqs_secret (id INTEGER PRIMARY KEY, secret TEXT NOT NULL)' },
];
