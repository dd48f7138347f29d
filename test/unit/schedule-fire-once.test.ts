// Unit: three scheduler instances (three nodes) on one PostgreSQL database under one fake clock: every instance arms
// the rule, but each period is delivered once; a change made through one instance re-arms the others.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { PgNotifier } from '../../src/store/pg-notifier.js';
import { Rules, type Rule } from '../../src/services/events/rules.js';
import { freshPgDatabase, pgUnavailable, type PgDatabase } from '../helpers/pg.js';

const skip = await pgUnavailable();
const clock = new FakeClock(Date.parse('2026-01-01T00:00:10Z'));
const calls: { node: number; time: string }[] = [];
let db: PgDatabase;
let dir: string;
const nodes: { rules: Rules; store: PostgresStore; notifier: PgNotifier }[] = [];

before(async () => {
  if (skip) return;
  db = await freshPgDatabase();
  dir = mkdtempSync(join(tmpdir(), 'sched-pg-'));
  for (let i = 0; i < 3; i++) {
    const store = await PostgresStore.open(db.url, join(dir, String(i)));
    const notifier = await PgNotifier.open(db.url, store.pool);
    const rules = new Rules({
      store, clock, notifier, accountId: '123456789012', log: () => undefined,
      fire: async (_r, event) => {
        calls.push({ node: i, time: event['time'] as string });
      },
    });
    // One at a time: the first migrates the schema.
    await rules.load();
    rules.start();
    nodes.push({ rules, store, notifier });
  }
});
after(async () => {
  for (const n of nodes) {
    n.rules.stop();
    await n.notifier.close();
    await n.store.close();
  }
  if (db) await db.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Lets the timers' fires (each first recorded in the store) and the rule reloads finish on every instance. */
async function settle(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  for (const n of nodes) await n.rules.settled();
}

/** Waits until every instance has heard of a change (a notification crosses the database). */
async function everywhere(ok: (r: Rule | undefined) => boolean): Promise<void> {
  for (let i = 0; i < 200 && !nodes.every((n) => ok(n.rules.get('us-east-1', 'tick'))); i++) await new Promise((r) => setTimeout(r, 25));
  await settle();
  assert.ok(nodes.every((n) => ok(n.rules.get('us-east-1', 'tick'))), 'every instance sees the change');
}

test('Schedules on three nodes: a rate(1 minute) rule is armed everywhere and delivered once per period', { skip }, async () => {
  const rule: Rule = { region: 'us-east-1', Name: 'tick', State: 'ENABLED', ScheduleExpression: 'rate(1 minute)', anchor: clock.now(), targets: [{ Id: 't', Arn: 'arn:aws:lambda:us-east-1:123456789012:function:f' }] };
  await nodes[0]!.rules.save(rule);
  await everywhere((r) => r?.State === 'ENABLED');
  for (let period = 1; period <= 3; period++) {
    clock.advance(60_000);
    await settle();
    assert.equal(calls.length, period, `period ${period}: ${JSON.stringify(calls)}`);
  }
  assert.deepEqual(calls.map((c) => c.time), ['2026-01-01T00:01:10Z', '2026-01-01T00:02:10Z', '2026-01-01T00:03:10Z']);
  assert.equal(nodes.reduce((n, x) => n + x.rules.fired, 0), 3);
});

test('Schedules on three nodes: a rule disabled through one instance stops firing on all of them', { skip }, async () => {
  const before = calls.length;
  await nodes[1]!.rules.save({ ...nodes[1]!.rules.get('us-east-1', 'tick')!, State: 'DISABLED', anchor: clock.now() });
  await everywhere((r) => r?.State === 'DISABLED');
  clock.advance(180_000);
  await settle();
  assert.equal(calls.length, before);
  await nodes[2]!.rules.delete(nodes[2]!.rules.get('us-east-1', 'tick')!);
  await everywhere((r) => r === undefined);
});
