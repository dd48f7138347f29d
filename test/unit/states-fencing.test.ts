// Unit: two Step Functions nodes (two models) on one PostgreSQL database under one fake clock: when a node's lease on an
// execution lapses, another takes the execution over at a new epoch, and the first node's later writes are fenced off,
// so the history is written by one node at a time (no duplicate, no missing event).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { LocalNotifier } from '../../src/store/notifier.js';
import { Leases } from '../../src/store/leases.js';
import { StatesModel } from '../../src/services/states/service.js';
import { StatesCluster } from '../../src/services/states/cluster.js';
import { freshPgDatabase, pgUnavailable, type PgDatabase } from '../helpers/pg.js';

const skip = await pgUnavailable();
const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
let db: PgDatabase;
let dir: string;
const logs: string[] = [];
const nodes: { model: StatesModel; cluster: StatesCluster; store: PostgresStore }[] = [];

before(async () => {
  if (skip) return;
  db = await freshPgDatabase();
  dir = mkdtempSync(join(tmpdir(), 'sfn-fence-'));
  for (const id of ['node-a', 'node-b']) {
    const store = await PostgresStore.open(db.url, join(dir, id));
    const leases = new Leases(store, clock, id, 30_000);
    await leases.init();
    const model = new StatesModel({ store, clock, notifier: new LocalNotifier(), accountId: '000000000000', nodeId: id, leases, log: (m) => logs.push(`${id}: ${m}`) });
    await model.init();
    const cluster = new StatesCluster(model);
    await cluster.start();
    nodes.push({ model, cluster, store });
  }
});
after(async () => {
  for (const n of nodes) {
    await n.model.close();
    await n.cluster.close();
    await n.store.close();
  }
  if (db) await db.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function eventually(ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail('condition not reached');
}

test('Fencing: an execution taken over after its lease lapsed is finished by the new owner alone', { skip }, async () => {
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  const def = JSON.stringify({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 60, Next: 'P' }, P: { Type: 'Pass', Result: 'done', End: true } } });
  const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:fenced';
  await a.model.catalog.saveMachine({ arn, region: 'us-east-1', name: 'fenced', type: 'STANDARD', definition: def, roleArn: 'arn:aws:iam::000000000000:role/r', created: clock.now(), revision: '1', tags: {}, parsed: a.model.validate(def, 'STANDARD') });
  const { executionArn } = await a.model.startExecution('us-east-1', arn, 'one', '{}');
  const events = async (): Promise<{ id: number; type: string }[]> => (await a.store.all<{ body: string }>('SELECT body FROM states_events WHERE exec_arn = ? ORDER BY id', [executionArn])).map((r) => JSON.parse(r.body) as { id: number; type: string });
  await eventually(async () => (await events()).some((e) => e.type === 'WaitStateEntered'));
  // A's lease lapses (no heartbeat renews it here); B's sweep (its timer is due too) takes the execution over.
  clock.advance(31_000);
  await b.cluster.sweep();
  await eventually(async () => b.model.live.has(executionArn));
  // Both nodes' Wait timers come due: A's writes no longer land, and A stops running it.
  clock.advance(30_000);
  // B arms its timer once its takeover has flushed, maybe after that advance: time keeps moving until it is done.
  await eventually(async () => {
    clock.advance(100);
    return (await a.store.get<{ status: string }>('SELECT status FROM states_executions WHERE arn = ?', [executionArn]))?.status === 'SUCCEEDED';
  });
  await eventually(async () => !a.model.live.has(executionArn));
  const h = await events();
  assert.deepEqual(h.map((e) => e.type), ['ExecutionStarted', 'WaitStateEntered', 'WaitStateExited', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
  assert.deepEqual(h.map((e) => e.id), [1, 2, 3, 4, 5, 6]);
  assert.ok(logs.some((l) => l.startsWith('node-a:') && l.includes('taken over by another node')), logs.join('\n'));
  const row = await a.store.get<{ owner: string; epoch: number }>('SELECT owner, epoch FROM states_executions WHERE arn = ?', [executionArn]);
  assert.deepEqual(row, { owner: 'node-b', epoch: 2 });
});
