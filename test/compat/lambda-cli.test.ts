// Compatibility: the AWS CLI v1 and v2, unchanged, manage functions against a live `selfless start`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDir, startServer, type Running, removeServer } from '../helpers/server.js';
import { awsCli, hasV2 } from '../helpers/aws-cli.js';
import { zip } from '../helpers/zip.js';
import { ROLE } from '../helpers/lambda.js';

let server: Running;
let dir: string;

before(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'cli-'));
  writeFileSync(join(dir, 'fn.zip'), await zip({ 'index.js': 'exports.handler = async (e) => ({ echo: e });' }));
});
after(async () => {
  await server.stop();
  await removeServer(server);
  removeDir(dir);
});

for (const v of [1, 2] as const) {
  test(`AWS CLI v${v}: create, get (and download), list, update, wait, delete a function`, { skip: v === 2 && !hasV2() ? 'AWS CLI v2 (/usr/bin/aws) is not installed; .ci/run installs it' : false }, async () => {
    const cli = (...args: string[]) => awsCli(v, server.url, args, dir);
    const name = `cli-v${v}`;
    const created = await cli('lambda', 'create-function', '--function-name', name, '--runtime', 'nodejs20.x', '--handler', 'index.handler', '--role', ROLE, '--zip-file', 'fileb://fn.zip');
    assert.equal(created.code, 0, created.stderr);
    const cfg = created.json();
    assert.equal(cfg.FunctionName, name);
    assert.equal(cfg.CodeSha256, createHash('sha256').update(readFileSync(join(dir, 'fn.zip'))).digest('base64'));

    const waited = await cli('lambda', 'wait', 'function-active-v2', '--function-name', name);
    assert.equal(waited.code, 0, waited.stderr);

    const got = await cli('lambda', 'get-function', '--function-name', name);
    assert.equal(got.code, 0, got.stderr);
    const zipBack = Buffer.from(await (await fetch(got.json().Code.Location)).arrayBuffer());
    assert.deepEqual(zipBack, readFileSync(join(dir, 'fn.zip')));

    const listed = await cli('lambda', 'list-functions');
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(listed.json().Functions.some((f: { FunctionName: string }) => f.FunctionName === name));

    const upd = await cli('lambda', 'update-function-configuration', '--function-name', name, '--memory-size', '512', '--environment', 'Variables={STAGE=dev}');
    assert.equal(upd.code, 0, upd.stderr);
    assert.equal(upd.json().MemorySize, 512);
    const waitedUpd = await cli('lambda', 'wait', 'function-updated-v2', '--function-name', name);
    assert.equal(waitedUpd.code, 0, waitedUpd.stderr);

    const bad = await cli('lambda', 'update-function-configuration', '--function-name', name, '--timeout', '901');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /ValidationException|timeout/);

    const del = await cli('lambda', 'delete-function', '--function-name', name);
    assert.equal(del.code, 0, del.stderr);
    const gone = await cli('lambda', 'get-function', '--function-name', name);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /ResourceNotFoundException/);
  });
}
