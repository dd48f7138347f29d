// Unit tests: layer lists as Lambda checks them (250 MB with the function, deleted versions) and the merged /opt.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { minUnreserved } from '../../src/services/lambda/api-concurrency.js';
import { LayerRegistry } from '../../src/services/lambda/layers.js';
import { FakeClock } from '../../src/lib/clock.js';
import { AwsError } from '../../src/lib/errors.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { zip } from '../helpers/zip.js';

const MB = 1024 * 1024;

/** Every store opened here, closed after the file's tests (an open store's writer thread keeps the process alive),
 * and only then its directory removed (the writer may still be adding WAL files to it until it is closed). */
const stores: SqliteStore[] = [];
const dirs: string[] = [];
after(async () => {
  for (const s of stores) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function registry(slow = false): Promise<LayerRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  dirs.push(dir);
  const inner = new SqliteStore(dir);
  stores.push(inner);
  // Slow storage: every transaction waits a little first, so that concurrent requests overlap inside the registry.
  const store = !slow
    ? inner
    : Object.assign(Object.create(inner) as Store, {
        tx: async <T>(fn: Parameters<Store['tx']>[0], opts?: { durable?: boolean }): Promise<T> => {
          await new Promise((r) => setTimeout(r, 20));
          return inner.tx(fn, opts) as Promise<T>;
        },
      });
  const layers = new LayerRegistry(store, new FakeClock(), '000000000000');
  await layers.load();
  return layers;
}

const publish = async (layers: LayerRegistry, name: string, files: Record<string, string>) =>
  layers.publish('us-east-1', name, { Description: '' }, await zip(files));
const arnOf = (name: string, v: number) => `arn:aws:lambda:us-east-1:000000000000:layer:${name}:${v}`;

test('Layers: function plus layers may not exceed 250 MB unzipped', async () => {
  const layers = await registry();
  const big = await publish(layers, 'big', { 'a.txt': 'a' });
  // Stand in for 200 MB of unpacked layer content without writing it.
  big.unzippedSize = 200 * MB;
  assert.deepEqual(layers.resolve([arnOf('big', 1)], 50 * MB), [{ Arn: arnOf('big', 1), CodeSize: big.CodeSize }]);
  assert.throws(
    () => layers.resolve([arnOf('big', 1)], 51 * MB),
    (e: unknown) => e instanceof AwsError && e.code === 'InvalidParameterValueException' && /exceeds the maximum allowed size of 262144000 bytes/.test(e.message),
  );
});

test('Layers: the merged /opt applies layers in order (later files win) and a deleted version keeps serving its users', async () => {
  const layers = await registry();
  await publish(layers, 'one', { 'shared.txt': 'one', 'only-one.txt': '1' });
  await publish(layers, 'two', { 'shared.txt': 'two' });
  const opt = await layers.optDir([arnOf('one', 1), arnOf('two', 1)]);
  assert.equal(readFileSync(join(opt, 'shared.txt'), 'utf8'), 'two');
  assert.equal(readFileSync(join(opt, 'only-one.txt'), 'utf8'), '1');
  assert.equal(readFileSync(join(await layers.optDir([arnOf('two', 1), arnOf('one', 1)]), 'shared.txt'), 'utf8'), 'one');
  await layers.delete('us-east-1', 'one', 1);
  assert.throws(() => layers.resolve([arnOf('one', 1)], 0), /does not exist/);
  assert.equal(layers.resolve([arnOf('one', 1)], 0, [arnOf('one', 1)]).length, 1, 'a function that already has it keeps it');
  assert.equal(await layers.optDir([arnOf('one', 1), arnOf('two', 1)]), opt);
});

test('Reserved concurrency: AWS keeps 100 of 1,000 unreserved, the same tenth of a smaller limit', () => {
  assert.equal(minUnreserved(1000), 100);
  assert.equal(minUnreserved(5000), 100);
  assert.equal(minUnreserved(200), 20);
  assert.equal(minUnreserved(10), 1);
  assert.equal(minUnreserved(5), 0);
});

test('Layers: concurrent publishes of one layer get distinct version numbers', async () => {
  const layers = await registry(true);
  const got = await Promise.all(Array.from({ length: 5 }, (_, i) => publish(layers, 'busy', { 'n.txt': String(i) })));
  assert.deepEqual(got.map((l) => l.version).sort(), [1, 2, 3, 4, 5]);
  assert.equal((await publish(layers, 'busy', { 'n.txt': 'last' })).version, 6);
});
