// Unit: scheduled rules on a fake clock: rate() and cron() fire on time, disabled rules stay quiet, targets get the
// Scheduled Event or their Input/InputPath, and fires missed while stopped are not replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { Rules, type Rule } from '../../src/services/events/rules.js';
import { targetInput } from '../../src/lib/event-input.js';

async function setup(dir: string, clock: FakeClock) {
  const store = new SqliteStore(dir);
  const calls: { fn: string; payload: any; at: number }[] = [];
  const rules = new Rules({
    store,
    clock,
    accountId: '123456789012',
    // A fire hands the rule's event to delivery (durable work items in the service); here it is recorded.
    fire: async (r, event) => {
      calls.push({ fn: r.targets[0]!.Arn.split(':')[6]!, payload: JSON.parse(JSON.stringify(event)), at: clock.now() });
    },
    log: () => undefined,
  });
  await rules.load();
  instances.push(rules);
  return { store, rules, calls };
}

const rule = (over: Partial<Rule>, clock: FakeClock): Rule => ({
  region: 'us-east-1',
  Name: 'r',
  State: 'ENABLED',
  anchor: clock.now(),
  targets: [{ Id: 't', Arn: 'arn:aws:lambda:us-east-1:123456789012:function:f' }],
  ...over,
});

/** Every Rules instance of this file: settle() waits for their fires (a fire is recorded in the store first). */
const instances: Rules[] = [];
const settle = async (): Promise<void> => {
  await new Promise((r) => setImmediate(r));
  for (const r of instances) await r.settled();
};

test('Schedules: rate(1 minute) fires every minute with AWS’s Scheduled Event; a disabled rule does not fire', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sched-'));
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:10Z'));
  const { store, rules, calls } = await setup(dir, clock);
  rules.start();
  await rules.save(rule({ ScheduleExpression: 'rate(1 minute)' }, clock));
  clock.advance(59_000);
  await settle();
  assert.equal(calls.length, 0);
  clock.advance(1_000);
  await settle();
  assert.equal(calls.length, 1);
  assert.deepEqual(Object.keys(calls[0]!.payload), ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail']);
  assert.equal(calls[0]!.payload['detail-type'], 'Scheduled Event');
  assert.equal(calls[0]!.payload.source, 'aws.events');
  assert.equal(calls[0]!.payload.time, '2026-01-01T00:01:10Z');
  assert.deepEqual(calls[0]!.payload.resources, ['arn:aws:events:us-east-1:123456789012:rule/r']);
  assert.deepEqual(calls[0]!.payload.detail, {});
  clock.advance(120_000);
  await settle();
  assert.equal(calls.length, 3);
  await rules.save({ ...rules.get('us-east-1', 'r')!, State: 'DISABLED' });
  clock.advance(600_000);
  await settle();
  assert.equal(calls.length, 3);
  rules.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('Schedules: cron() fires at its UTC times; fires missed while stopped are not replayed after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sched-'));
  const clock = new FakeClock(Date.parse('2026-01-01T09:58:00Z'));
  const a = await setup(dir, clock);
  a.rules.start();
  await a.rules.save(rule({ Name: 'c', ScheduleExpression: 'cron(0/30 * * * ? *)' }, clock));
  clock.advance(2 * 60_000);
  await settle();
  assert.deepEqual(a.calls.map((c) => new Date(c.at).toISOString()), ['2026-01-01T10:00:00.000Z']);
  a.rules.stop();
  await a.store.close();
  // Down for three hours (six missed fires), then started again.
  clock.advance(3 * 3_600_000);
  const b = await setup(dir, clock);
  b.rules.start();
  await settle();
  assert.equal(b.calls.length, 0, 'no replay of missed fires');
  clock.advance(30 * 60_000);
  await settle();
  assert.deepEqual(b.calls.map((c) => new Date(c.at).toISOString()), ['2026-01-01T13:30:00.000Z']);
  b.rules.stop();
  await b.store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('Schedules: a target gets its Input verbatim, or the InputPath’s value of the event', () => {
  const event = { version: '0', 'detail-type': 'Scheduled Event', detail: { a: { b: 1 } } };
  assert.equal(targetInput({ Input: '{"fixed":true}' }, event), '{"fixed":true}');
  assert.equal(targetInput({ InputPath: '$.detail.a' }, event), '{"b":1}');
  assert.equal(targetInput({ InputPath: '$.detail-type' }, event), '"Scheduled Event"');
  assert.equal(targetInput({}, event), JSON.stringify(event));
});

test('Schedules: a fire months away waits in day-long steps and fires once at its time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sched-'));
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const { store, rules, calls } = await setup(dir, clock);
  rules.start();
  await rules.save(rule({ Name: 'y', ScheduleExpression: 'cron(0 8 1 JUL ? 2026)' }, clock));
  clock.advance(Date.parse('2026-07-01T07:59:00Z') - clock.now());
  await settle();
  assert.equal(calls.length, 0);
  clock.advance(60_000);
  await settle();
  assert.deepEqual(calls.map((c) => new Date(c.at).toISOString()), ['2026-07-01T08:00:00.000Z']);
  clock.advance(365 * 86_400_000);
  await settle();
  assert.equal(calls.length, 1, 'no further fire after the last year of the expression');
  rules.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
