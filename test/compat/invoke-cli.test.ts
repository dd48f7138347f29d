// Compatibility: `aws lambda invoke` (CLI v1 and v2) and `selfless logs` against a live server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN, removeDir, startServer, type Running, removeServer } from '../helpers/server.js';
import { awsCli, hasV2 } from '../helpers/aws-cli.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';

let server: Running;
let dir: string;

before(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'invoke-cli-'));
  await createFunction(lambdaClient(server.url), 'echo', {
    'index.js': 'exports.handler = async (e, c) => { console.log("echoing", JSON.stringify(e)); if (e.fail) throw new Error("asked to fail"); return { got: e }; };',
  });
});
after(async () => {
  await server.stop();
  await removeServer(server);
  removeDir(dir);
});

for (const v of [1, 2] as const) {
  test(`AWS CLI v${v}: lambda invoke returns the payload, the function error and Tail logs`, { skip: v === 2 && !hasV2() ? 'AWS CLI v2 is not installed; .ci/run installs it' : false }, async () => {
    const args = v === 2 ? ['--cli-binary-format', 'raw-in-base64-out'] : [];
    const ok = await awsCli(v, server.url, ['lambda', 'invoke', '--function-name', 'echo', '--payload', '{"hi":1}', '--log-type', 'Tail', ...args, join(dir, `out${v}.json`)]);
    assert.equal(ok.code, 0, ok.stderr);
    const meta = ok.json();
    assert.equal(meta.StatusCode, 200);
    assert.equal(meta.ExecutedVersion, '$LATEST');
    assert.match(Buffer.from(meta.LogResult, 'base64').toString(), /echoing \{"hi":1\}/);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, `out${v}.json`), 'utf8')), { got: { hi: 1 } });
    const bad = await awsCli(v, server.url, ['lambda', 'invoke', '--function-name', 'echo', '--payload', '{"fail":true}', ...args, join(dir, `bad${v}.json`)]);
    assert.equal(bad.code, 0, bad.stderr);
    assert.equal(bad.json().FunctionError, 'Unhandled');
    assert.equal(JSON.parse(readFileSync(join(dir, `bad${v}.json`), 'utf8')).errorMessage, 'asked to fail');
  });
}

test('selfless logs prints the function’s log lines, START, END and REPORT included', async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [MAIN, 'logs', 'echo', '--endpoint', server.url], (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout))),
  );
  assert.match(out, /START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
  assert.match(out, /echoing \{"hi":1\}/);
  assert.match(out, /END RequestId: /);
  assert.match(out, /REPORT RequestId: .*Duration: .*Init Duration: /);
});
