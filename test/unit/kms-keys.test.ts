// KMS keys without a server: wrapped material, context as AAD, deletion after the window on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { Keys } from '../../src/services/kms/keys.js';
import { MasterKey } from '../../src/services/kms/master.js';

test('KMS keys: material is stored wrapped, the context authenticates, a pending key is gone after its window', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kms-unit-'));
  const store = new SqliteStore(dir);
  const clock = new FakeClock();
  try {
    const master = await MasterKey.load(join(dir, 'm.key'));
    const keys = new Keys({ store, clock, master, accountId: '000000000000' });
    await keys.init();
    const k = await keys.create('us-east-1', {});
    assert.equal(k.material.length, 12 + 16 + 32);
    const blob = keys.encrypt(k, Buffer.from('pt'), { b: '2', a: '1' });
    assert.equal(Keys.blobKeyId(blob), k.id);
    assert.equal((await keys.decrypt('us-east-1', blob, { a: '1', b: '2' })).plaintext.toString(), 'pt');
    await assert.rejects(keys.decrypt('us-east-1', blob, { a: '1', b: '3' }), { code: 'InvalidCiphertextException' });
    const other = await MasterKey.load(join(dir, 'other.key'));
    assert.notEqual(other.fingerprint(), master.fingerprint());
    assert.throws(() => other.unwrap(k.material));
    await keys.update(k, { state: 'PendingDeletion', deletion_date: clock.now() / 1000 + 7 * 86400 });
    clock.advance(7 * 86400 * 1000 + 1);
    await keys.sweep();
    await assert.rejects(keys.find('us-east-1', k.id), { code: 'NotFoundException' });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
