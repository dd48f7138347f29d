// Unit: three EventBridge Scheduler firing instances (three nodes) on one PostgreSQL database under one fake clock:
// each arms the schedule, but every scheduled time is delivered once, and a failed delivery is dead-lettered once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { PgNotifier } from '../../src/store/pg-notifier.js';
import { WorkQueues } from '../../src/store/work.js';
import { Firing, type Fire } from '../../src/services/events/scheduler/firing.js';
import { ScheduleTables, type StoredSchedule } from '../../src/services/events/scheduler/model.js';
import { freshPgDatabase, pgUnavailable, type PgDatabase } from '../helpers/pg.js';

const skip = await pgUnavailable();
const start = Date.parse('2026-01-01T00:00:00Z');
const clock = new FakeClock(start);
const delivered: { node: number; input: string }[] = [];
const dead: string[] = [];
let db: PgDatabase;
let dir: string;
const nodes: { firing: Firing; store: PostgresStore; notifier: PgNotifier }[] = [];
let tables: ScheduleTables;

before(async () => {
  if (skip) return;
  db = await freshPgDatabase();
  dir = mkdtempSync(join(tmpdir(), 'evsched-pg-'));
  for (let i = 0; i < 3; i++) {
    const store = await PostgresStore.open(db.url, join(dir, String(i)));
    const notifier = await PgNotifier.open(db.url, store.pool);
    const work = new WorkQueues(store, notifier, clock, `node-${i}`);
    await work.init();
    const t = new ScheduleTables(store);
    await t.migrate();
    tables ??= t;
    const firing = new Firing({
      store, clock, notifier, work, tables: t, accountId: '123456789012', log: () => undefined,
      deliver: async (fire: Fire, input: string) => {
        if (fire.target.Arn.endsWith(':broken')) throw new Error('no such queue');
        delivered.push({ node: i, input });
      },
      deadLetter: async (_fire, input) => {
        dead.push(input);
      },
    });
    await firing.start();
    nodes.push({ firing, store, notifier });
  }
});
after(async () => {
  for (const n of nodes) {
    await n.firing.stop();
    await n.notifier.close();
    await n.store.close();
  }
  if (db) await db.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const schedule = (name: string, expr: string, arn: string, extra: Partial<StoredSchedule> = {}): StoredSchedule => ({
  region: 'us-east-1', Name: name, GroupName: 'default', ScheduleExpression: expr, ScheduleExpressionTimezone: 'UTC',
  FlexibleTimeWindow: { Mode: 'OFF' }, State: 'ENABLED', ActionAfterCompletion: 'NONE', CreationDate: start, LastModificationDate: start, anchor: start,
  Target: { Arn: arn, RoleArn: 'arn:aws:iam::123456789012:role/r', Input: '<aws.scheduler.scheduled-time>', RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 0 } },
  ...extra,
});

/** Lets every node's notifications, claims and deliveries finish (they cross the database in real time). */
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !until(); i++) {
    await new Promise((r) => setTimeout(r, 25));
    for (const n of nodes) await n.firing.settled();
  }
  await new Promise((r) => setTimeout(r, 200));
  for (const n of nodes) await n.firing.settled();
}

test('Scheduler firing: three nodes deliver each scheduled time of a rate() schedule once', { skip }, async () => {
  await tables.createSchedule(schedule('tick', 'rate(1 minute)', 'arn:aws:sqs:us-east-1:123456789012:q'));
  for (const n of nodes) await n.firing.resync();
  for (let m = 1; m <= 3; m++) {
    clock.advance(60_000);
    await settle(() => delivered.length >= m);
  }
  assert.deepEqual(delivered.map((d) => d.input).sort(), ['2026-01-01T00:01:00Z', '2026-01-01T00:02:00Z', '2026-01-01T00:03:00Z']);
  await tables.deleteSchedule('us-east-1', 'default', 'tick');
  for (const n of nodes) await n.firing.resync();
});

test('Scheduler firing: a one-time schedule that fails is dead-lettered once and deleted after completion', { skip }, async () => {
  const base = schedule('once', 'at(2026-01-01T00:05:00)', 'arn:aws:sqs:us-east-1:123456789012:broken', { ActionAfterCompletion: 'DELETE' });
  await tables.createSchedule({ ...base, Target: { ...base.Target, DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:123456789012:dlq' } } });
  for (const n of nodes) await n.firing.resync();
  clock.advance(120_000);
  await settle(() => dead.length >= 1);
  assert.deepEqual(dead, ['2026-01-01T00:05:00Z']);
  assert.equal(await tables.schedule('us-east-1', 'default', 'once'), undefined);
});
