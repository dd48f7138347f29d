// Lambda environment variables encrypted at rest with KMS against a live server: the default key alias/aws/lambda or
// the function's KMSKeyArn, plaintext in GetFunctionConfiguration and in the function, never in the store's file;
// unknown, disabled and pending-deletion keys answered with AWS's errors; rows written before encryption still work.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { awsCli } from '../helpers/aws-cli.js';
import { createFunction, lambdaClient, ROLE } from '../helpers/lambda.js';
import { failure } from '../helpers/errors.js';
import { removeServer, startServer, type Running } from '../helpers/server.js';
import { zip } from '../helpers/zip.js';

const CODE = { 'index.js': 'exports.handler = async () => ({ value: process.env.DB_PASSWORD ?? null });' };
const PLAIN = 'correct-horse-battery-staple-4711';

/** The SQLite store's files (database and write-ahead log) as text; undefined on PostgreSQL. */
function storeBytes(s: Running): string | undefined {
  if (s.storeUrl) return undefined;
  return ['selfless.db', 'selfless.db-wal'].map((f) => join(s.dataDir, f)).filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('');
}

async function invokeValue(s: Running, name: string): Promise<unknown> {
  const out = await lambdaClient(s.url).send(new InvokeCommand({ FunctionName: name }));
  const body = JSON.parse(Buffer.from(out.Payload!).toString()) as { value?: unknown };
  assert.equal(out.FunctionError, undefined, JSON.stringify(body));
  return body.value;
}

test('Lambda KMS: variables are sealed under alias/aws/lambda at rest, plaintext in GetFunctionConfiguration and in the function', async () => {
  const s = await startServer();
  try {
    const lam = lambdaClient(s.url);
    await createFunction(lam, 'sealed', CODE, { env: { DB_PASSWORD: PLAIN } });
    const cfg = await lam.send(new GetFunctionConfigurationCommand({ FunctionName: 'sealed' }));
    assert.deepEqual(cfg.Environment?.Variables, { DB_PASSWORD: PLAIN });
    assert.equal(cfg.KMSKeyArn, undefined, 'KMSKeyArn is shown only when the customer set one');
    assert.equal(await invokeValue(s, 'sealed'), PLAIN);
    const aliases = (await awsCli(1, s.url, ['kms', 'list-aliases'])).json().Aliases as { AliasName: string; TargetKeyId?: string }[];
    const alias = aliases.find((a) => a.AliasName === 'alias/aws/lambda');
    assert.ok(alias?.TargetKeyId, 'the AWS managed key alias/aws/lambda was made on first use');
    const meta = (await awsCli(1, s.url, ['kms', 'describe-key', '--key-id', 'alias/aws/lambda'])).json().KeyMetadata;
    assert.equal(meta.KeyManager, 'AWS');
    const bytes = storeBytes(s);
    if (bytes !== undefined) assert.ok(!bytes.includes(PLAIN), 'the variable is not in the store in plaintext');
    assert.ok(!s.output().includes(PLAIN), 'nor in the server log');
    // After a restart the sealed row is opened again.
    await s.stop();
    const again = await startServer({ dataDir: s.dataDir });
    try {
      assert.equal(await invokeValue(again, 'sealed'), PLAIN);
    } finally {
      await again.stop();
    }
  } finally {
    await removeServer(s);
  }
});

test('Lambda KMS: a customer key is shown as KMSKeyArn; an unknown key is refused; disabled and pending-deletion keys stop new environments with 502', async () => {
  const s = await startServer();
  try {
    const lam = lambdaClient(s.url);
    const kms = (...args: string[]) => awsCli(1, s.url, ['kms', ...args]);
    const key = (await kms('create-key')).json().KeyMetadata.Arn as string;
    const make = async (name: string, kmsKey: string) =>
      lam.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zip(CODE) }, Environment: { Variables: { DB_PASSWORD: PLAIN } }, KMSKeyArn: kmsKey }));
    await make('own-key', key);
    const cfg = await lam.send(new GetFunctionConfigurationCommand({ FunctionName: 'own-key' }));
    assert.equal(cfg.KMSKeyArn, key);
    assert.deepEqual(cfg.Environment?.Variables, { DB_PASSWORD: PLAIN });
    assert.equal(await invokeValue(s, 'own-key'), PLAIN);

    const missing = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000000';
    const unknown = await failure(make('bad-key', missing));
    assert.equal(unknown.name, 'InvalidParameterValueException');
    assert.match(unknown.message, /^Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant\. Please check your KMS key settings\. KMS Exception: NotFoundException/);

    // Two functions never invoked yet: their first environment start decrypts with the key.
    const k2 = (await kms('create-key')).json().KeyMetadata.Arn as string;
    await make('disabled-key', k2);
    const k3 = (await kms('create-key')).json().KeyMetadata.Arn as string;
    await make('deleted-key', k3);
    assert.equal((await kms('disable-key', '--key-id', k2)).code, 0);
    const disabled = await failure(lam.send(new InvokeCommand({ FunctionName: 'disabled-key' })));
    assert.equal(disabled.name, 'KMSDisabledException');
    assert.equal(disabled.status, 502);
    assert.equal(disabled.message, "Lambda was unable to decrypt the environment variables because the KMS key used is disabled. Please check the function's KMS key settings.");
    assert.equal((await kms('schedule-key-deletion', '--key-id', k3, '--pending-window-in-days', '7')).code, 0);
    const pending = await failure(lam.send(new InvokeCommand({ FunctionName: 'deleted-key' })));
    assert.equal(pending.name, 'KMSInvalidStateException');
    assert.equal(pending.status, 502);
    // Enabled again: the function starts.
    assert.equal((await kms('enable-key', '--key-id', k2)).code, 0);
    assert.equal(await invokeValue(s, 'disabled-key'), PLAIN);
    await s.stop();
  } finally {
    await removeServer(s);
  }
});

test('Lambda KMS: a function stored before encryption at rest (plaintext row) keeps working', { skip: process.env['SELFLESS_TEST_STORE'] === 'postgres' ? 'edits the SQLite file directly' : false }, async () => {
  const s = await startServer();
  try {
    const lam = lambdaClient(s.url);
    await createFunction(lam, 'legacy', CODE, { env: { DB_PASSWORD: PLAIN } });
    await s.stop();
    // Rewrite the row as the previous release stored it: the variables in plaintext.
    const cfg = JSON.stringify({ path: join(s.dataDir, 'selfless.db'), value: PLAIN });
    const py = `import sqlite3, json\nc = json.loads('''${cfg}''')\ndb = sqlite3.connect(c['path'])\nfor (k, v) in db.execute("SELECT version, config FROM lambda_versions WHERE name = 'legacy'").fetchall():\n    x = json.loads(v); x['Environment'] = {'Variables': {'DB_PASSWORD': c['value']}}\n    db.execute("UPDATE lambda_versions SET config = ? WHERE name = 'legacy' AND version = ?", (json.dumps(x), k))\ndb.commit()`;
    const { execFileSync } = await import('node:child_process');
    execFileSync('python3', ['-c', py]);
    const again = await startServer({ dataDir: s.dataDir });
    try {
      assert.equal(await invokeValue(again, 'legacy'), PLAIN);
      assert.deepEqual((await lambdaClient(again.url).send(new GetFunctionConfigurationCommand({ FunctionName: 'legacy' }))).Environment?.Variables, { DB_PASSWORD: PLAIN });
    } finally {
      await again.stop();
    }
  } finally {
    await removeServer(s);
  }
});
