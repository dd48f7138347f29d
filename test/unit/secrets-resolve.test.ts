// The resolve() module APIs of SSM and Secrets Manager (dynamic references for CloudFormation), on a temp store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { LocalNotifier } from '../../src/store/notifier.js';
import { WorkQueues } from '../../src/store/work.js';
import { kmsService } from '../../src/services/kms/index.js';
import { Params } from '../../src/services/ssm/params.js';
import { ssmService } from '../../src/services/ssm/index.js';
import { Secrets } from '../../src/services/secretsmanager/secrets.js';
import { secretsManagerService } from '../../src/services/secretsmanager/index.js';

test('resolve: {{resolve:ssm:name:version}} and {{resolve:secretsmanager:id:SecretString:key}} give the stored values', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'resolve-unit-'));
  const store = new SqliteStore(dir);
  const clock = new FakeClock();
  try {
    const base = { store, clock, config: { dataDir: dir, accountId: '000000000000' }, log: () => undefined } as never as Parameters<typeof kmsService.create>[0];
    const kms = (await kmsService.create({ ...base, deps: {} })).api;
    const ssm = (await ssmService.create({ ...base, deps: { kms } } as never)).api;
    // Secrets Manager's scheduled rotations are work items: it needs the node's work queues (and Lambda, unused here).
    const cluster = { work: new WorkQueues(store, new LocalNotifier(), clock, 'n1') };
    const sm = (await secretsManagerService.create({ ...base, cluster, deps: { kms, lambda: undefined } } as never)).api;
    const params = new Params({ store, clock, kms, accountId: '000000000000' });
    await params.put('us-east-1', { name: '/a/b', value: 'one', type: 'String', overwrite: false });
    await params.put('us-east-1', { name: '/a/b', value: 'two', overwrite: true });
    await params.put('us-east-1', { name: '/a/s', value: 'sec', type: 'SecureString', overwrite: false });
    assert.equal(await ssm.resolve('us-east-1', '{{resolve:ssm:/a/b:1}}'), 'one');
    assert.equal(await ssm.resolve('us-east-1', '{{resolve:ssm:/a/b}}'), 'two');
    assert.equal(await ssm.resolve('us-east-1', '{{resolve:ssm-secure:/a/s:1}}'), 'sec');
    await assert.rejects(ssm.resolve('us-east-1', '{{resolve:ssm:/a/b:7}}'), { code: 'ParameterVersionNotFound' });
    const secrets = new Secrets({ store, clock, kms, accountId: '000000000000' });
    const s = await secrets.create('us-east-1', { name: 'db' });
    await secrets.putValue(s, Buffer.from(JSON.stringify({ user: 'u', password: 'p' })), false, undefined);
    assert.equal(await sm.resolve('us-east-1', '{{resolve:secretsmanager:db:SecretString:password}}'), 'p');
    assert.equal(await sm.resolve('us-east-1', `{{resolve:secretsmanager:${s.arn}:SecretString:user:AWSCURRENT}}`), 'u');
    assert.equal(JSON.parse(await sm.resolve('us-east-1', '{{resolve:secretsmanager:db}}')).user, 'u');
    await assert.rejects(sm.resolve('us-east-1', '{{resolve:secretsmanager:nope}}'), { code: 'ResourceNotFoundException' });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
