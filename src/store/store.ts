// The persistence interface every service uses: SQL over a portable subset, versioned migrations, blobs.
//
// SQL uses `?` placeholders and the types TEXT, INTEGER, REAL, BLOB; a PostgreSQL store rewrites placeholders and
// takes a dialect-specific migration where one is given. Each service owns its tables (prefixed with its name) and
// never touches another service's.

import type { Dialect } from './dialect.js';
import type { Journal } from './journal.js';
import type { ObjectBlobs } from './object-blobs.js';

export type SqlValue = string | number | bigint | Buffer | null;

export interface Migration {
  version: number;
  /** Portable SQL, or one text per dialect. Several statements may be separated by `;`. */
  up: string | { sqlite: string; postgres: string };
}

export interface Queryable {
  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface BlobStore {
  /** Stores bytes under their SHA-256 (hex); durable (fsynced) before the promise resolves. */
  put(data: Buffer): Promise<string>;
  read(sha256hex: string): Promise<Buffer>;
  has(sha256hex: string): Promise<boolean>;
  /** A local file path holding the blob (fetched into this node's cache first where blobs are remote), for streaming it out. */
  localPath(sha256hex: string): Promise<string>;
  /** A directory private to the blob store where derived data for a blob may live (e.g. an unpacked zip). */
  derivedDir(kind: string, sha256hex: string): string;
  /** Large blobs streamed in and out by range (S3 objects), apart from the code blobs so that they can be collected. */
  readonly objects: ObjectBlobs;
}

export interface Store extends Queryable {
  readonly kind: 'sqlite' | 'postgres';
  /** What differs between the engines in shared SQL (see dialect.ts). */
  readonly dialect: Dialect;
  /** Applies the owner's migrations not yet applied, in version order, each in its own transaction. */
  migrate(owner: string, migrations: readonly Migration[]): Promise<void>;
  /**
   * Runs fn in one transaction: all its writes commit together, durably, or none do. `durable: false` is for data
   * whose loss in a crash is acceptable (function logs): it commits without waiting for the disk, and the next
   * durable commit flushes it too.
   */
  tx<T>(fn: (q: Queryable) => Promise<T>, opts?: { durable?: boolean }): Promise<T>;
  readonly blobs: BlobStore;
  /**
   * The group-commit write path for hot durable writes (messages, events, claims): `journal.write(group)` commits a
   * group atomically with other callers' groups in one transaction and resolves once durable, with each statement's
   * rows (SELECT or RETURNING). On SQLite it is the one writer thread; reads see its writes once committed.
   */
  readonly journal: Journal;
  close(): Promise<void>;
}
