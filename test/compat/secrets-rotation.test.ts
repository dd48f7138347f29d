// Secrets Manager rotation against a live server: a Node.js rotation function that uses @aws-sdk/client-secrets-manager
// against selfless as AWS's rotation templates do, the four steps, a failing step, and UpdateSecretVersionStage.
import { strict as assert } from 'node:assert';
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CancelRotateSecretCommand, CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, RotateSecretCommand,
  SecretsManagerClient, UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { liveServer } from '../helpers/server.js';

// Process isolation: the rotation function requires the project's AWS SDK from its node_modules, outside a sandbox's view.
const server = liveServer({ args: ['--isolation', 'process'] });
/** The project's node_modules (its real path: the sandbox mounts it, not the worktree's link to it). */
const NODE_MODULES = realpathSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'node_modules'));
const sm = (): SecretsManagerClient => new SecretsManagerClient({ endpoint: server().url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
const err = async (p: Promise<unknown>): Promise<{ name: string; message: string }> => {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error('expected an error');
};

/** AWS's single-user rotation template, reduced to Secrets Manager's part: createSecret puts AWSPENDING, finishSecret moves AWSCURRENT. */
const ROTATOR = `
const sm = require('@aws-sdk/client-secrets-manager');
exports.handler = async (event) => {
  const c = new sm.SecretsManagerClient({ maxAttempts: 1 });
  const { SecretId: arn, ClientRequestToken: token, Step: step } = event;
  if (!event.RotationToken) throw new Error('no RotationToken');
  const meta = await c.send(new sm.DescribeSecretCommand({ SecretId: arn }));
  if (!meta.RotationEnabled) throw new Error('Secret ' + arn + ' is not enabled for rotation');
  const versions = meta.VersionIdsToStages;
  if (!versions[token]) throw new Error('Secret version ' + token + ' has no stage for rotation of secret ' + arn);
  if (versions[token].includes('AWSCURRENT')) return;
  if (!versions[token].includes('AWSPENDING')) throw new Error('Secret version ' + token + ' not set as AWSPENDING');
  if (process.env.FAIL_STEP === step) throw new Error('the protected service refused the new password');
  if (step === 'createSecret') {
    await c.send(new sm.GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }));
    try {
      await c.send(new sm.GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: 'AWSPENDING' }));
    } catch (e) {
      if (e.name !== 'ResourceNotFoundException') throw e;
      const pw = await c.send(new sm.GetRandomPasswordCommand({ ExcludeCharacters: '/@"\\'\\\\' }));
      await c.send(new sm.PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: pw.RandomPassword, VersionStages: ['AWSPENDING'] }));
    }
  } else if (step === 'setSecret' || step === 'testSecret') {
    await c.send(new sm.GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: 'AWSPENDING' }));
  } else if (step === 'finishSecret') {
    let current;
    for (const [v, st] of Object.entries(versions)) if (st.includes('AWSCURRENT')) current = v;
    await c.send(new sm.UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: current }));
  } else throw new Error('Invalid step parameter ' + step);
};`;

async function rotator(name: string, env: Record<string, string> = {}): Promise<string> {
  const made = await createFunction(lambdaClient(server().url), name, { 'index.js': ROTATOR }, { timeout: 30, env: { NODE_PATH: NODE_MODULES, ...env } });
  return made.FunctionArn!;
}

test('Secrets Manager: RotateSecret runs the four steps of a Node.js rotation function; AWSCURRENT moves to the new password', async () => {
  const c = sm();
  const fn = await rotator('rotator-ok');
  const made = await c.send(new CreateSecretCommand({ Name: 'rot/ok', SecretString: 'first-password' }));
  const before = Date.now() / 1000;
  const out = await c.send(new RotateSecretCommand({ SecretId: 'rot/ok', RotationLambdaARN: fn, RotationRules: { AutomaticallyAfterDays: 30 } }));
  assert.equal(out.ARN, made.ARN);
  assert.ok(out.VersionId);
  const now = await c.send(new GetSecretValueCommand({ SecretId: 'rot/ok' }));
  assert.equal(now.VersionId, out.VersionId);
  assert.notEqual(now.SecretString, 'first-password');
  assert.equal(now.SecretString!.length, 32);
  assert.deepEqual(now.VersionStages, ['AWSCURRENT']);
  assert.equal((await c.send(new GetSecretValueCommand({ SecretId: 'rot/ok', VersionStage: 'AWSPREVIOUS' }))).SecretString, 'first-password');
  const d = await c.send(new DescribeSecretCommand({ SecretId: 'rot/ok' }));
  assert.equal(d.RotationEnabled, true);
  assert.equal(d.RotationLambdaARN, fn);
  assert.equal(d.RotationRules?.AutomaticallyAfterDays, 30);
  assert.ok(d.LastRotatedDate && d.LastRotatedDate.getTime() / 1000 >= before - 1);
  const next = d.NextRotationDate!.getTime() - d.LastRotatedDate!.getTime();
  assert.ok(Math.abs(next - 30 * 86_400_000) < 5_000, `NextRotationDate is 30 days after LastRotatedDate (${next} ms)`);
  assert.deepEqual(d.VersionIdsToStages?.[out.VersionId!], ['AWSCURRENT']);
  assert.deepEqual(d.VersionIdsToStages?.[made.VersionId!], ['AWSPREVIOUS']);
  assert.ok(!server().output().includes(now.SecretString!), 'the rotated password is not in the server log');

  // Cancelled: no more scheduled rotations, the function stays configured.
  await c.send(new CancelRotateSecretCommand({ SecretId: 'rot/ok' }));
  const cancelled = await c.send(new DescribeSecretCommand({ SecretId: 'rot/ok' }));
  assert.equal(cancelled.RotationEnabled, false);
  assert.equal(cancelled.NextRotationDate, undefined);
  assert.equal(cancelled.RotationLambdaARN, fn);
});

test('Secrets Manager: a failing rotation step leaves AWSPENDING; the next RotateSecret says the previous rotation is not complete', async () => {
  const c = sm();
  const bad = await rotator('rotator-fails', { FAIL_STEP: 'testSecret' });
  const good = await rotator('rotator-good');
  await c.send(new CreateSecretCommand({ Name: 'rot/fail', SecretString: 'keep-me' }));
  const out = await c.send(new RotateSecretCommand({ SecretId: 'rot/fail', RotationLambdaARN: bad, RotationRules: { ScheduleExpression: 'rate(10 days)', Duration: '3h' } }));
  assert.equal((await c.send(new GetSecretValueCommand({ SecretId: 'rot/fail' }))).SecretString, 'keep-me');
  const pending = await c.send(new GetSecretValueCommand({ SecretId: 'rot/fail', VersionStage: 'AWSPENDING' }));
  assert.equal(pending.VersionId, out.VersionId);
  const d = await c.send(new DescribeSecretCommand({ SecretId: 'rot/fail' }));
  assert.deepEqual(d.VersionIdsToStages?.[out.VersionId!], ['AWSPENDING']);
  assert.equal(d.LastRotatedDate, undefined);
  assert.equal(d.RotationRules?.ScheduleExpression, 'rate(10 days)');
  const again = await err(c.send(new RotateSecretCommand({ SecretId: 'rot/fail', RotationLambdaARN: good })));
  assert.deepEqual(again, { name: 'InvalidRequestException', message: "A previous rotation isn't complete. That rotation will be reattempted." });

  // The operator removes AWSPENDING from the broken version; then a rotation with a working function succeeds.
  await c.send(new UpdateSecretVersionStageCommand({ SecretId: 'rot/fail', VersionStage: 'AWSPENDING', RemoveFromVersionId: out.VersionId }));
  const ok = await c.send(new RotateSecretCommand({ SecretId: 'rot/fail', RotationLambdaARN: good }));
  const cur = await c.send(new GetSecretValueCommand({ SecretId: 'rot/fail' }));
  assert.equal(cur.VersionId, ok.VersionId);
  assert.notEqual(cur.SecretString, 'keep-me');
});

test('Secrets Manager: UpdateSecretVersionStage moves labels with AWS\'s rules and errors; RotateSecret validates its input', async () => {
  const c = sm();
  const v1 = await c.send(new CreateSecretCommand({ Name: 'stages', SecretString: 'one' }));
  const v2 = await c.send(new PutSecretValueCommand({ SecretId: 'stages', SecretString: 'two', VersionStages: ['BLUE'] }));
  // A custom label moves freely onto a version and off it.
  await c.send(new UpdateSecretVersionStageCommand({ SecretId: 'stages', VersionStage: 'GREEN', MoveToVersionId: v2.VersionId }));
  assert.equal((await c.send(new GetSecretValueCommand({ SecretId: 'stages', VersionStage: 'GREEN' }))).SecretString, 'two');
  const mustName = await err(c.send(new UpdateSecretVersionStageCommand({ SecretId: 'stages', VersionStage: 'AWSCURRENT', MoveToVersionId: v2.VersionId })));
  assert.equal(mustName.name, 'InvalidParameterException');
  assert.match(mustName.message, new RegExp(`Staging label AWSCURRENT is currently attached to version ${v1.VersionId}, so you must explicitly reference that version in RemoveFromVersionId`));
  await c.send(new UpdateSecretVersionStageCommand({ SecretId: 'stages', VersionStage: 'AWSCURRENT', MoveToVersionId: v2.VersionId, RemoveFromVersionId: v1.VersionId }));
  assert.equal((await c.send(new GetSecretValueCommand({ SecretId: 'stages' }))).SecretString, 'two');
  assert.equal((await c.send(new GetSecretValueCommand({ SecretId: 'stages', VersionStage: 'AWSPREVIOUS' }))).SecretString, 'one');
  const unknown = await err(c.send(new UpdateSecretVersionStageCommand({ SecretId: 'stages', VersionStage: 'GREEN', MoveToVersionId: '00000000-0000-4000-8000-000000000000' })));
  assert.equal(unknown.name, 'InvalidParameterException');

  const noFn = await err(c.send(new RotateSecretCommand({ SecretId: 'stages' })));
  assert.equal(noFn.name, 'InvalidRequestException');
  const missing = await err(c.send(new RotateSecretCommand({ SecretId: 'stages', RotationLambdaARN: 'arn:aws:lambda:us-east-1:000000000000:function:absent' })));
  assert.equal(missing.name, 'AccessDeniedException');
  const fn = await rotator('rotator-rules');
  // 1001 is outside the model's range (1–1000): the model's constraint answers.
  const days = await err(c.send(new RotateSecretCommand({ SecretId: 'stages', RotationLambdaARN: fn, RotationRules: { AutomaticallyAfterDays: 1001 } })));
  assert.equal(days.name, 'ValidationException');
  const both = await err(c.send(new RotateSecretCommand({ SecretId: 'stages', RotationLambdaARN: fn, RotationRules: { AutomaticallyAfterDays: 3, ScheduleExpression: 'rate(3 days)' } })));
  assert.equal(both.name, 'InvalidParameterException');
  const cron = await err(c.send(new RotateSecretCommand({ SecretId: 'stages', RotationLambdaARN: fn, RotationRules: { ScheduleExpression: 'cron(0 16 1,15 * * *)' } })));
  assert.equal(cron.name, 'InvalidParameterException');
  // Scheduled only: no rotation now, NextRotationDate from the cron expression.
  const later = await c.send(new RotateSecretCommand({ SecretId: 'stages', RotationLambdaARN: fn, RotationRules: { ScheduleExpression: 'cron(0 16 1,15 * ? *)' }, RotateImmediately: false }));
  assert.equal(later.VersionId, undefined);
  const d = await c.send(new DescribeSecretCommand({ SecretId: 'stages' }));
  assert.equal(d.RotationEnabled, true);
  const next = d.NextRotationDate!;
  assert.ok([1, 15].includes(next.getUTCDate()) && next.getUTCHours() === 16 && next.getUTCMinutes() === 0, next.toISOString());
  assert.equal((await c.send(new GetSecretValueCommand({ SecretId: 'stages' }))).SecretString, 'two');
});
