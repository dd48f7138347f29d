// The store module: opens the embedded SQLite store or the shared PostgreSQL one, with its notifier and primitives.
import { join } from 'node:path';
import type { Clock } from '../lib/clock.js';
import { LocalNotifier, type Notifier } from './notifier.js';
import { PgNotifier } from './pg-notifier.js';
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import { StoreOpenError } from './schema.js';
import type { Store } from './store.js';
import { WorkQueues } from './work.js';
import { Leases } from './leases.js';
import { Membership } from './nodes.js';
import { lockDataDir, nodeIdentity } from './lock.js';

export type { Store, Queryable, SqlValue, Migration, BlobStore } from './store.js';
export type { Notifier, Listener } from './notifier.js';
export type { WorkItem, NewWork } from './work.js';
export type { LeaseInfo } from './leases.js';
export type { NodeInfo } from './nodes.js';
export { LocalNotifier, WorkQueues, Leases, Membership, StoreOpenError, SqliteStore, PostgresStore, lockDataDir, nodeIdentity };

export interface OpenedStore {
  store: Store;
  notifier: Notifier;
  /** Closes the notifier and the store. */
  close(): Promise<void>;
}

function opened(store: Store, notifier: Notifier): OpenedStore {
  return {
    store,
    notifier,
    close: async () => {
      await notifier.close();
      await store.close();
    },
  };
}

/** `url` absent: SQLite in dataDir; `postgres://…`: that database (this node caches blobs under dataDir). */
export async function openStore(url: string | undefined, dataDir: string): Promise<OpenedStore> {
  if (!url) {
    let store: SqliteStore;
    try {
      store = new SqliteStore(dataDir);
    } catch (e) {
      if (e instanceof StoreOpenError) throw e;
      throw new StoreOpenError(`cannot open the database in ${dataDir}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return opened(store, new LocalNotifier());
  }
  if (!/^postgres(ql)?:\/\//.test(url)) throw new StoreOpenError(`--store must be a postgres://user@host:port/database URL (got '${url}')`);
  const store = await PostgresStore.open(url, join(dataDir, 'cache'));
  try {
    return opened(store, await PgNotifier.open(url, store.pool));
  } catch (e) {
    await store.close();
    throw new StoreOpenError(`cannot listen for notifications on ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The primitives every node shares: work queues with claims, leases, and the membership that renews them. */
export interface Coordination {
  work: WorkQueues;
  leases: Leases;
  membership: Membership;
}

export async function coordination(o: { store: Store; notifier: Notifier; clock: Clock; nodeId: string; leaseMs?: number; heartbeatMs?: number; environments?: () => number; onError?: (e: unknown) => void }): Promise<Coordination> {
  const work = new WorkQueues(o.store, o.notifier, o.clock, o.nodeId, o.leaseMs);
  const leases = new Leases(o.store, o.clock, o.nodeId, o.leaseMs);
  const membership = new Membership({
    store: o.store,
    clock: o.clock,
    id: o.nodeId,
    heartbeatMs: o.heartbeatMs,
    environments: o.environments,
    onError: o.onError,
    onBeat: async () => {
      await work.renewAll();
      await leases.renewAll();
    },
  });
  await work.init();
  await leases.init();
  await membership.init();
  return { work, leases, membership };
}
export { INLINE_MAX } from './object-blobs.js';
