// Durability: an acknowledged CreateFunction survives `kill -9` of the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GetFunctionConfigurationCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { removeDir, startServer, removeServer } from '../helpers/server.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';

test('Durability: a function created right before SIGKILL is there, with its code, after restart', async () => {
  const first = await startServer();
  const created = await createFunction(lambdaClient(first.url), 'survivor', { 'index.js': 'exports.handler = async () => 1;' });
  const active = await lambdaClient(first.url).send(new GetFunctionConfigurationCommand({ FunctionName: 'survivor' }));
  const exit = await first.stop('SIGKILL');
  assert.equal(exit.signal, 'SIGKILL');
  const second = await startServer({ dataDir: first.dataDir });
  try {
    const client = lambdaClient(second.url);
    const cfg = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'survivor' }));
    assert.equal(cfg.CodeSha256, created.CodeSha256);
    assert.equal(cfg.RevisionId, active.RevisionId);
    const got = await client.send(new GetFunctionCommand({ FunctionName: 'survivor' }));
    assert.equal((await fetch(got.Code!.Location!)).status, 200);
  } finally {
    await second.stop();
    await removeServer(first);
  }
});

test('Lifecycle: SIGTERM stops the server cleanly with exit code 0', async () => {
  const s = await startServer();
  const exit = await s.stop('SIGTERM');
  assert.equal(exit.code, 0, s.output());
  await removeServer(s);
});

test('Lifecycle: a taken port and an unwritable data dir are one-line errors, not stack traces', async () => {
  const s = await startServer();
  try {
    await assert.rejects(startServer({ port: s.port }), (e: Error) => /port \d+ on 127\.0\.0\.1 is already in use/.test(e.message) && !/\n\s+at /.test(e.message));
    const { writeFileSync } = await import('node:fs');
    const file = `${s.dataDir}/a-file`;
    writeFileSync(file, 'x');
    await assert.rejects(startServer({ dataDir: `${file}/data` }), (e: Error) => /data directory .* is not writable/.test(e.message) && !/\n\s+at /.test(e.message));
  } finally {
    await s.stop();
    await removeServer(s);
  }
});
