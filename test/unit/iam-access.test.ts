// IAM's module API without a server: the credential source's read-through and bounded staleness between two nodes
// on one store (one that hears no hints), STS sessions expiring by the injected clock, and policiesFor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { LocalNotifier, SqliteStore } from '../../src/store/index.js';
import type { Notifier, Store } from '../../src/store/index.js';
import type { ServiceContext, ServiceInstance } from '../../src/server/service.js';
import type { ApiRequest } from '../../src/server/types.js';
import { iamService, type IamApi, type IamDeps } from '../../src/services/iam/index.js';

const ACCT = '000000000000';

async function node(store: Store, clock: FakeClock, notifier: Notifier): Promise<ServiceInstance<IamApi>> {
  const ctx = { store, clock, notifier, config: { accountId: ACCT, defaultRegion: 'us-east-1' }, log: () => {}, deps: {} } as unknown as ServiceContext<IamDeps>;
  return iamService.create(ctx);
}

/** Calls an IAM action through the node's own query route, as the server would; returns the XML. */
async function call(n: ServiceInstance<IamApi>, action: string, params: Record<string, string>): Promise<string> {
  const form = new URLSearchParams({ Action: action, Version: '2010-05-08', ...params });
  const req = { requestId: 'r', region: 'us-east-1', accountId: ACCT } as unknown as ApiRequest;
  const out = await n.routes.query![0]!.handle(req, form);
  return String(out.body);
}
const tag = (xml: string, t: string): string => new RegExp(`<${t}>([^<]*)</${t}>`).exec(xml)![1]!;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('IAM credentials: a key made on one node works on another at once; a deactivated or deleted key stops within the cache bound even without a hint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iam-unit-'));
  const store = new SqliteStore(dir);
  const clock = new FakeClock();
  const a = await node(store, clock, new LocalNotifier());
  const b = await node(store, clock, new LocalNotifier()); // its own notifier: it never hears a's hints
  try {
    await call(a, 'CreateUser', { UserName: 'u1', Path: '/p/' });
    const created = await call(a, 'CreateAccessKey', { UserName: 'u1' });
    const id = tag(created, 'AccessKeyId');
    const cred = await b.api.credentials.lookup(id);
    assert.ok(cred, 'read through to the store on a miss');
    assert.equal(cred.secretAccessKey, tag(created, 'SecretAccessKey'));
    assert.equal(cred.active, true);
    assert.equal(cred.caller.arn, `arn:aws:iam::${ACCT}:user/p/u1`);
    assert.equal(cred.caller.kind, 'user');
    assert.match(cred.caller.userId, /^AIDA/);
    await call(a, 'UpdateAccessKey', { UserName: 'u1', AccessKeyId: id, Status: 'Inactive' });
    assert.equal((await b.api.credentials.lookup(id))?.active, true, 'b still has it cached (no hint reached it)');
    clock.advance(5_000);
    assert.equal((await b.api.credentials.lookup(id))?.active, false, 'after the cache bound b re-reads the store');
    await call(a, 'DeleteAccessKey', { UserName: 'u1', AccessKeyId: id });
    await tick();
    assert.equal(await a.api.credentials.lookup(id), undefined, 'on the node that heard the hint: gone at once');
    clock.advance(5_000);
    assert.equal(await b.api.credentials.lookup(id), undefined);
    assert.equal(await b.api.credentials.lookup('AKIANOSUCHKEY0000000'), undefined);
  } finally {
    await a.stop();
    await b.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('IAM credentials: role sessions are durable, carry the assumed-role caller and expire by the injected clock', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iam-unit-'));
  const store = new SqliteStore(dir);
  const clock = new FakeClock();
  const a = await node(store, clock, new LocalNotifier());
  try {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    await call(a, 'CreateRole', { RoleName: 'exec', AssumeRolePolicyDocument: trust });
    const arn = `arn:aws:iam::${ACCT}:role/exec`;
    assert.equal(await a.api.roleTrusts(arn, 'lambda.amazonaws.com'), true);
    assert.equal(await a.api.roleTrusts(arn, 'states.amazonaws.com'), false);
    assert.equal(await a.api.roleTrusts(`arn:aws:iam::${ACCT}:role/none`, 'lambda.amazonaws.com'), false);
    const t = await a.api.issueRoleCredentials(arn, 'fn-1', 900);
    assert.match(t.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(t.expiration, clock.now() + 900_000);
    await a.stop();
    const again = await node(store, clock, new LocalNotifier()); // a fresh node (a restart) on the same store
    const cred = await again.api.credentials.lookup(t.accessKeyId);
    assert.ok(cred);
    assert.equal(cred.sessionToken, t.sessionToken);
    assert.equal(cred.expiresAt, t.expiration);
    assert.equal(cred.caller.arn, `arn:aws:sts::${ACCT}:assumed-role/exec/fn-1`);
    assert.equal(cred.caller.roleArn, arn);
    assert.equal(cred.caller.temporary, true);
    assert.ok(clock.now() < cred.expiresAt!);
    clock.advance(900_001);
    assert.ok(clock.now() > (await again.api.credentials.lookup(t.accessKeyId))!.expiresAt!, 'expired by the clock');
    await again.stop();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('IAM policiesFor: a user gets its inline, attached and groups\' policies and its boundary; a change is seen at once on the node', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iam-unit-'));
  const store = new SqliteStore(dir);
  const clock = new FakeClock();
  const a = await node(store, clock, new LocalNotifier());
  try {
    const doc = (action: string): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: action.replace(/\W/g, ''), Effect: 'Allow', Action: action, Resource: '*' }] });
    await call(a, 'CreateUser', { UserName: 'pu' });
    await call(a, 'CreateGroup', { GroupName: 'pg' });
    await call(a, 'AddUserToGroup', { GroupName: 'pg', UserName: 'pu' });
    await call(a, 'PutUserPolicy', { UserName: 'pu', PolicyName: 'i', PolicyDocument: doc('sqs:SendMessage') });
    await call(a, 'AttachGroupPolicy', { GroupName: 'pg', PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' });
    await call(a, 'PutUserPermissionsBoundary', { UserName: 'pu', PermissionsBoundary: 'arn:aws:iam::aws:policy/ReadOnlyAccess' });
    const user = (await a.api.credentials.lookup(tag(await call(a, 'CreateAccessKey', { UserName: 'pu' }), 'AccessKeyId')))!.caller;
    const set = await a.api.policiesFor(user);
    assert.deepEqual(set.identity.map((d) => d.statements[0]!.action).sort(), [['s3:*', 's3-object-lambda:*'], ['sqs:SendMessage']]);
    assert.ok(set.boundary?.statements[0]!.action!.includes('s3:Get*'));
    await call(a, 'DeleteUserPolicy', { UserName: 'pu', PolicyName: 'i' });
    await tick();
    assert.equal((await a.api.policiesFor(user)).identity.length, 1, 'the cache is dropped on the change hint');
    const root = await a.api.policiesFor({ arn: `arn:aws:iam::${ACCT}:root`, accountId: ACCT, userId: ACCT, kind: 'root' });
    assert.deepEqual(root.identity, []);
  } finally {
    await a.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
