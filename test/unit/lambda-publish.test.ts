// Unit tests: PublishVersion under concurrency (numbers and the no-change rule with slow storage).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FunctionRegistry } from '../../src/services/lambda/functions.js';
import { FakeClock } from '../../src/lib/clock.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { zip } from '../helpers/zip.js';

test('Versions: publishes racing on slow storage get one new number, never a conflict', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'publish-'));
  const inner = new SqliteStore(dir);
  // Every transaction waits a little first, so that concurrent publishes overlap inside the registry.
  const slow = Object.assign(Object.create(inner) as Store, {
    tx: async <T>(fn: Parameters<Store['tx']>[0], opts?: { durable?: boolean }): Promise<T> => {
      await new Promise((r) => setTimeout(r, 20));
      return inner.tx(fn, opts) as Promise<T>;
    },
  });
  const registry = new FunctionRegistry(slow, new FakeClock(), '000000000000');
  await registry.load();
  const code = async (s: string) => (await zip({ 'index.js': s })).toString('base64');
  await registry.create('us-east-1', { FunctionName: 'f', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/r', Handler: 'index.handler', Code: { ZipFile: await code('1') } });
  const first = await Promise.all(Array.from({ length: 4 }, () => registry.publish('us-east-1', { name: 'f' }, {})));
  assert.deepEqual(first.map((v) => v.version), ['1', '1', '1', '1']);
  await registry.updateCode('us-east-1', { name: 'f' }, { ZipFile: await code('2') });
  const second = await Promise.all(Array.from({ length: 4 }, () => registry.publish('us-east-1', { name: 'f' }, {})));
  assert.deepEqual(second.map((v) => v.version), ['2', '2', '2', '2']);
  await inner.close();
  rmSync(dir, { recursive: true, force: true });
});
