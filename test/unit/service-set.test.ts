// Unit: the service list: creation in order with the APIs before it, start in order, stop in reverse (also after a
// failed create or start), each instance stopped once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/lib/clock.js';
import { entry, ServiceSet, type ServiceContext, type ServiceModule } from '../../src/server/service.js';
import type { Journal } from '../../src/store/journal.js';
import { LocalNotifier } from '../../src/store/notifier.js';
import type { Store } from '../../src/store/store.js';

function recorder() {
  const events: string[] = [];
  const mod = <D>(name: string, o: { failCreate?: boolean; failStart?: boolean; failStop?: boolean } = {}): ServiceModule<D, { name: string; deps: D }> => ({
    name,
    async create(ctx) {
      if (o.failCreate) throw new Error(`${name} cannot be created`);
      events.push(`create ${name}`);
      return {
        routes: {},
        api: { name, deps: ctx.deps },
        start: async () => {
          if (o.failStart) throw new Error(`${name} cannot start`);
          events.push(`start ${name}`);
        },
        stop: async () => {
          events.push(`stop ${name}`);
          if (o.failStop) throw new Error(`${name} cannot stop`);
        },
        beforeHttpClose: () => events.push(`release ${name}`),
      };
    },
  });
  const logged: string[] = [];
  const base: Omit<ServiceContext<unknown>, 'deps'> = {
    store: {} as Store,
    journal: {} as Journal,
    clock: new FakeClock(),
    notifier: new LocalNotifier(),
    config: { accountId: '000000000000', defaultRegion: 'us-east-1', dataDir: '/tmp', rootKey: { accessKeyId: 'test', secretAccessKey: 'test' }, endpointUrl: () => '', idleTimeoutMs: 1, prestartPerKey: 0, accountConcurrency: 1, isolation: 'process', authMode: 'dev' },
    log: (m) => logged.push(m),
    cluster: {} as ServiceContext<unknown>['cluster'],
  };
  return { events, mod, base, logged };
}

test('Services: created and started in list order with the APIs of those before them, stopped in reverse', async () => {
  const { events, mod, base } = recorder();
  const a = mod<Record<string, never>>('a');
  const b = mod<{ a: { name: string } }>('b');
  const set = await ServiceSet.create([entry(a, () => ({})), entry(b, (use) => ({ a: use(a) }))], base);
  assert.equal(set.api(b).deps.a.name, 'a');
  await set.start();
  set.beforeHttpClose();
  await set.stop();
  await set.stop();
  assert.deepEqual(events, ['create a', 'create b', 'start a', 'start b', 'release b', 'release a', 'stop b', 'stop a']);
});

test('Services: a failed create stops those already created, in reverse, and throws its error', async () => {
  const { events, mod, base } = recorder();
  const [a, b, c] = [mod('a'), mod('b'), mod('c', { failCreate: true })];
  await assert.rejects(ServiceSet.create([entry(a, () => ({})), entry(b, () => ({})), entry(c, () => ({}))], base), /c cannot be created/);
  assert.deepEqual(events, ['create a', 'create b', 'stop b', 'stop a']);
});

test('Services: a service that uses one later in the list fails to create', async () => {
  const { events, mod, base } = recorder();
  const [a, b] = [mod<{ b: unknown }>('a'), mod('b')];
  await assert.rejects(ServiceSet.create([entry(a, (use) => ({ b: use(b) })), entry(b, () => ({}))], base), /service a uses b, which is not before it in the list/);
  assert.deepEqual(events, []);
});

test('Services: a failed start throws; stop then stops every created service in reverse, past a failing stop', async () => {
  const { events, mod, base } = recorder();
  const [a, b, c] = [mod('a', { failStop: true }), mod('b', { failStart: true }), mod('c')];
  const set = await ServiceSet.create([entry(a, () => ({})), entry(b, () => ({})), entry(c, () => ({}))], base);
  await assert.rejects(set.start(), /b cannot start/);
  await assert.rejects(set.stop(), /a cannot stop/);
  assert.deepEqual(events, ['create a', 'create b', 'create c', 'start a', 'stop c', 'stop b', 'stop a']);
});
