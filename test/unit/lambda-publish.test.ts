// Unit tests: PublishVersion and CreateAlias under concurrency (numbers, the no-change rule, name conflicts).
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

test('Aliases: of two concurrent creates of one alias, exactly one wins and the other gets ResourceConflictException', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alias-'));
  const store = new SqliteStore(dir);
  const registry = new FunctionRegistry(store, new FakeClock(), '000000000000');
  await registry.load();
  const zipFile = (await zip({ 'index.js': '1' })).toString('base64');
  const { fn } = await registry.create('us-east-1', { FunctionName: 'f', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/r', Handler: 'index.handler', Code: { ZipFile: zipFile } });
  const alias = (d: string) => ({ Name: 'live', FunctionVersion: '$LATEST', Description: d, RevisionId: d });
  const got = await Promise.allSettled([registry.createAlias(fn, alias('a')), registry.createAlias(fn, alias('b'))]);
  assert.deepEqual(got.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const lost = got.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.equal((lost.reason as { code: string }).code, 'ResourceConflictException');
  assert.equal(fn.aliases.get('live')?.Description, got[0]!.status === 'fulfilled' ? 'a' : 'b');
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
