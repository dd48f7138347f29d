// Unit: Secrets Manager's rotation schedules (rules, rate and cron next times) and scheduled rotations: two Rotation
// instances (two nodes) on one store under a fake clock run each due rotation once, through the four steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { AwsError } from '../../src/lib/errors.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { LocalNotifier } from '../../src/store/notifier.js';
import { WorkQueues } from '../../src/store/work.js';
import type { KmsApi } from '../../src/services/kms/index.js';
import type { LambdaInvoker } from '../../src/services/lambda/index.js';
import { nextRotation, parseRules } from '../../src/services/secretsmanager/schedule.js';
import { Rotation } from '../../src/services/secretsmanager/rotation.js';
import { Secrets, stagesOf } from '../../src/services/secretsmanager/secrets.js';

const DAY = 86_400_000;

test('Rotation rules: AWS\'s limits, and the next rotation of rate() and cron() schedules', () => {
  const bad = (r: object): string => {
    try {
      parseRules(r);
    } catch (e) {
      return (e as AwsError).code;
    }
    return 'accepted';
  };
  assert.equal(bad({ AutomaticallyAfterDays: 0 }), 'InvalidParameterException');
  assert.equal(bad({ ScheduleExpression: 'rate(2 hours)' }), 'InvalidParameterException');
  assert.equal(bad({ ScheduleExpression: 'rate(4 hours)' }), 'accepted');
  assert.equal(bad({ ScheduleExpression: 'cron(0 16 1,15 * * *)' }), 'InvalidParameterException');
  assert.equal(bad({ AutomaticallyAfterDays: 1, Duration: '25h' }), 'InvalidParameterException');
  assert.equal(bad({ AutomaticallyAfterDays: 1, Duration: '4h' }), 'accepted');
  assert.equal(bad({}), 'InvalidParameterException');
  const t0 = Date.parse('2026-03-10T12:34:00Z');
  assert.equal(nextRotation(parseRules({ AutomaticallyAfterDays: 7 }), t0, t0), t0 + 7 * DAY);
  assert.equal(new Date(nextRotation(parseRules({ ScheduleExpression: 'cron(0 16 1,15 * ? *)' }), t0, t0)!).toISOString(), '2026-03-15T16:00:00.000Z');
  assert.equal(new Date(nextRotation(parseRules({ ScheduleExpression: 'cron(30 2 ? * MON *)' }), t0, t0)!).toISOString(), '2026-03-16T02:30:00.000Z');
  assert.equal(new Date(nextRotation(parseRules({ ScheduleExpression: 'cron(0 8 L * ? *)'.replace('L', '31') }), t0, t0)!).toISOString(), '2026-03-31T08:00:00.000Z');
});

/** KMS stand-in: the "ciphertext" is the plaintext (the unit is about stages and schedules). */
const kms: KmsApi = {
  keyArn: async (_r, id) => id,
  awsManagedKey: async () => 'arn:aws:kms:us-east-1:000000000000:key/aws-sm',
  encrypt: async (_r, keyArn, plaintext) => ({ blob: plaintext, keyArn }),
  decrypt: async (_r, blob) => ({ plaintext: blob, keyArn: 'k' }),
  keyPolicy: async () => undefined,
};

test('Scheduled rotation: two nodes on one store rotate a secret once when NextRotationDate comes, and schedule the next', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-rot-'));
  const store = new SqliteStore(dir);
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const notifier = new LocalNotifier();
  const secrets = new Secrets({ store, clock, kms, accountId: '000000000000' });
  await secrets.init();
  const steps: { node: number; step: string }[] = [];
  const nodes: Rotation[] = [];
  for (let i = 0; i < 2; i++) {
    const work = new WorkQueues(store, notifier, clock, `node-${i}`);
    await work.init();
    // The rotation function, as AWS's template: createSecret puts AWSPENDING, finishSecret moves AWSCURRENT.
    const invoker = {
      resolveFresh: async () => ({}),
      invoke: async (input: { payload: Buffer }) => {
        const e = JSON.parse(input.payload.toString()) as { Step: string; SecretId: string; ClientRequestToken: string };
        steps.push({ node: i, step: e.Step });
        const x = await secrets.find('us-east-1', e.SecretId);
        if (e.Step === 'createSecret') await secrets.putValue(x, Buffer.from(`pw-${steps.length}`), false, e.ClientRequestToken, ['AWSPENDING']);
        if (e.Step === 'finishSecret') {
          const cur = (await secrets.versions(x.arn)).find((v) => stagesOf(v).includes('AWSCURRENT'))!;
          await secrets.moveStage(x, 'AWSCURRENT', cur.version_id, e.ClientRequestToken);
        }
        return { payload: Buffer.from('null'), executedVersion: '$LATEST', streamed: false, coldStart: false };
      },
    } as unknown as LambdaInvoker;
    const r = new Rotation({ secrets, invoker: () => invoker, work, clock, mayInvoke: () => true, log: () => undefined });
    await r.start();
    nodes.push(r);
  }
  try {
    const x = await secrets.create('us-east-1', { name: 'scheduled' });
    await secrets.putValue(x, Buffer.from('first'), false, undefined);
    await nodes[0]!.rotate(await secrets.find('us-east-1', 'scheduled'), { lambdaArn: 'arn:aws:lambda:us-east-1:000000000000:function:rot', rules: { AutomaticallyAfterDays: 2 }, immediately: false });
    const d0 = await secrets.find('us-east-1', 'scheduled');
    assert.equal(d0.rotation_enabled, 1);
    assert.equal(d0.next_rotation, (clock.now() + 2 * DAY) / 1000);
    assert.equal(steps.length, 0, 'RotateImmediately false: nothing ran yet');

    const settle = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
    };
    // Each node re-arms its timer once its sweep finished (after the fake clock moved): a minute more fires it.
    const tick = async (ms: number): Promise<void> => {
      clock.advance(ms);
      await settle();
      clock.advance(60_000);
      await settle();
    };
    await tick(DAY - 120_000);
    assert.equal(steps.length, 0, 'not due yet');
    await tick(DAY + 60_000);
    assert.deepEqual(steps.map((s) => s.step), ['createSecret', 'setSecret', 'testSecret', 'finishSecret'], 'one node ran the four steps once');
    assert.equal(new Set(steps.map((s) => s.node)).size, 1);
    const after = await secrets.find('us-east-1', 'scheduled');
    const cur = await secrets.value(after);
    assert.equal(cur.value.toString(), 'pw-1');
    assert.deepEqual(stagesOf(cur.v), ['AWSCURRENT']);
    assert.ok(after.last_rotated !== null);
    assert.equal(after.next_rotation, after.last_rotated! + 2 * 86_400);
    await tick(2 * DAY);
    assert.equal(steps.length, 8, 'the next scheduled rotation ran once too');
  } finally {
    for (const n of nodes) await n.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
