// Shared contract suite: the same functional tests against `--isolation process` and `--isolation sandbox`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { removeDir } from '../helpers/server.js';
import { fixture, invoke, json, logOf, rootlessDataDir, shell, startInMode, text, type Mode, type ModeServer } from '../helpers/isolation.js';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

for (const mode of ['process', 'sandbox', 'rootless'] as Mode[]) {
  describe(`isolation ${mode}`, () => {
    let s: ModeServer;
    let client: LambdaClient;
    before(async () => {
      s = await startInMode(mode);
      if (s.server) client = lambdaClient(s.server.url);
    });
    after(async () => {
      if (!s.server) return;
      await s.server.stop();
      removeDir(s.server.dataDir);
    });

    test(`Isolation (${mode}): the start-up warning says whether functions are isolated`, (t) => {
      if (s.skip) return t.skip(s.skip);
      const out = s.server!.output();
      if (mode === 'process') assert.match(out, /WARNING: isolation is "process": functions run as plain processes/);
      else assert.doesNotMatch(out, /WARNING/);
      if (mode === 'rootless') assert.match(out, /isolation is "sandbox" \(rootless: user namespaces/);
      else assert.doesNotMatch(out, /rootless/);
    });

    test(`Isolation (${mode}): a Node function gets its event and AWS's paths; module state survives warm invokes`, async (t) => {
      if (s.skip) return t.skip(s.skip);
      const src = `let n = 0; exports.handler = async (e) => ({ e, n: ++n, cwd: process.cwd(), root: process.env.LAMBDA_TASK_ROOT, tmp: require('os').tmpdir() });`;
      await createFunction(client, 'contract-node', { 'index.js': src }, { memory: 256 });
      const a = json((await invoke(client, 'contract-node', { x: 1 })).Payload);
      const b = json((await invoke(client, 'contract-node', { x: 2 })).Payload);
      assert.deepEqual(a.e, { x: 1 });
      assert.equal(a.n, 1);
      assert.equal(b.n, 2, 'the warm environment served the second invoke');
      assert.equal(a.cwd, a.root);
      if (mode !== 'process') {
        assert.equal(a.root, '/var/task');
        assert.equal(a.tmp, '/tmp');
      }
    });

    test(`Isolation (${mode}): a Python function answers`, async (t) => {
      if (s.skip) return t.skip(s.skip);
      await createFunction(client, 'contract-py', { 'app.py': 'import os\ndef handler(e, c):\n    return {"e": e, "root": os.environ["LAMBDA_TASK_ROOT"], "cwd": os.getcwd()}\n' }, { runtime: 'python3.12', handler: 'app.handler' });
      const r = json((await invoke(client, 'contract-py', { y: 2 })).Payload);
      assert.deepEqual(r.e, { y: 2 });
      assert.equal(r.cwd, r.root);
    });

    test(`Isolation (${mode}): AWS's shell tutorial runtime (provided.al2023) answers`, async (t) => {
      if (s.skip) return t.skip(s.skip);
      await createFunction(client, 'contract-sh', { bootstrap: fixture('shell-tutorial', 'bootstrap'), 'function.sh': fixture('shell-tutorial', 'function.sh') }, { runtime: 'provided.al2023', handler: 'function.handler' });
      // zip() stores 0644; the bootstrap is run through bash as AWS's /bin/sh would.
      const r = await invoke(client, 'contract-sh', { z: 3 });
      assert.equal(text(r.Payload), `Echoing request: '{"z":3}'`);
    });

    test(`Isolation (${mode}): REPORT carries Max Memory Used from the environment`, async (t) => {
      if (s.skip) return t.skip(s.skip);
      await createFunction(client, 'contract-mem', { 'index.js': 'const keep = Buffer.alloc(40 * 1024 * 1024, 1); exports.handler = async () => keep.length;' }, { memory: 256 });
      const r = await invoke(client, 'contract-mem', {}, true);
      const used = Number(/Max Memory Used: (\d+) MB/.exec(logOf(r))?.[1]);
      assert.ok(used >= 40 && used <= 256, `Max Memory Used ${used} MB\n${logOf(r)}`);
    });

    test(`Isolation (${mode}): a timed-out environment is destroyed and the next invoke is cold`, async (t) => {
      if (s.skip) return t.skip(s.skip);
      await createFunction(client, 'contract-slow', { 'index.js': 'exports.handler = async (e) => { if (e.hang) await new Promise(() => setInterval(() => {}, 1000)); return "ok"; };' }, { timeout: 1 });
      const r = await invoke(client, 'contract-slow', { hang: true });
      assert.equal(json(r.Payload).errorType, 'Sandbox.Timedout');
      const next = await invoke(client, 'contract-slow', {}, true);
      assert.equal(json(next.Payload), 'ok');
      assert.match(logOf(next), /Init Duration/);
    });

    test(`Isolation (${mode}): a runtime can use /tmp and its files are its own`, async (t) => {
      if (s.skip) return t.skip(s.skip);
      await createFunction(client, 'contract-tmp', { bootstrap: fixture('hostile-shell', 'bootstrap') }, { runtime: 'provided.al2023', handler: 'x' });
      const r = await shell(client, 'contract-tmp', 'echo hi > "$TMPDIR/f" && cat "$TMPDIR/f"');
      assert.equal(r.code, 0, r.out + (r.error ?? ''));
      assert.equal(r.out.trim(), 'hi');
    });

    test(`Isolation (${mode}): the function's user has a name (sandbox: sbx_user1051, as on AWS)`, async (t) => {
      if (s.skip) return t.skip(s.skip);
      await createFunction(client, 'contract-user', { 'app.py': 'import getpass, os\ndef handler(e, c):\n    return {"user": getpass.getuser(), "home": os.path.expanduser("~")}\n' }, { runtime: 'python3.12', handler: 'app.handler' });
      const r = json((await invoke(client, 'contract-user')).Payload);
      assert.equal(typeof r.user, 'string', JSON.stringify(r));
      if (mode !== 'process') assert.equal(r.user, 'sbx_user1051');
    });

    test(`Isolation (${mode}): open files are capped at 1,024 (AWS's quota)`, async (t) => {
      if (s.skip) return t.skip(s.skip);
      await createFunction(client, 'contract-fd', { 'index.js': fixture('hostile-node', 'index.js') });
      const r = json((await invoke(client, 'contract-fd', { action: 'files', n: 5000 })).Payload);
      assert.equal(r.error, 'EMFILE');
      assert.ok(r.opened < 1024, `opened ${r.opened}`);
    });
  });
}

test('Isolation: asking for the sandbox where it cannot work fails to start, saying why and how to fix it; auto falls back with a warning', async () => {
  const env = { SELFLESS_BWRAP: '/nonexistent/bwrap' };
  const { startServer } = await import('../helpers/server.js');
  await assert.rejects(
    startServer({ args: ['--isolation', 'sandbox'], env }),
    (e: Error) => /--isolation sandbox cannot work on this machine: .*; to fix: .*--isolation process/.test(e.message),
  );
  const fallback = await startServer({ args: ['--isolation', 'auto'], env });
  try {
    assert.match(fallback.output(), /WARNING: isolation is "process".*the sandbox is unavailable/);
  } finally {
    await fallback.stop();
    removeDir(fallback.dataDir);
  }
});

test('Isolation: a non-root server on a machine with user namespaces picks the rootless sandbox by itself (auto)', async (t) => {
  const probe = await startInMode('rootless', ['--isolation', 'auto'], rootlessDataDir());
  if (probe.skip) return t.skip(probe.skip);
  try {
    const out = probe.server!.output();
    assert.doesNotMatch(out, /WARNING/);
    assert.match(out, /isolation is "sandbox" \(rootless/);
    const client = lambdaClient(probe.server!.url);
    await createFunction(client, 'auto-rootless', { 'index.js': 'exports.handler = async () => ({ uid: process.getuid(), root: process.env.LAMBDA_TASK_ROOT });' });
    assert.deepEqual(json((await invoke(client, 'auto-rootless')).Payload), { uid: 993, root: '/var/task' });
  } finally {
    await probe.server!.stop();
    removeDir(probe.server!.dataDir);
  }
});

test('Isolation: a non-root server asked for the sandbox where user namespaces fail refuses to start, saying why and how to fix it', async (t) => {
  const probe = await startInMode('rootless', ['--isolation', 'auto'], rootlessDataDir());
  if (probe.skip) return t.skip(probe.skip);
  await probe.server!.stop();
  removeDir(probe.server!.dataDir);
  // A bubblewrap that fails the way a kernel without unprivileged user namespaces makes it fail.
  const dir = mkdtempSync(join(tmpdir(), 'selfless-fake-bwrap-'));
  const fake = join(dir, 'bwrap');
  writeFileSync(fake, '#!/bin/sh\necho "bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces." >&2\nexit 1\n', { mode: 0o755 });
  chmodSync(dir, 0o755);
  try {
    const refused = await startInMode('rootless', ['--isolation', 'sandbox'], rootlessDataDir(), { SELFLESS_BWRAP: fake });
    assert.match(refused.skip ?? '', /selfless is not root and bubblewrap cannot create an unprivileged user namespace here: bwrap: No permissions.*; to fix: allow unprivileged user namespaces/);
    const fallback = await startInMode('rootless', ['--isolation', 'auto'], rootlessDataDir(), { SELFLESS_BWRAP: fake });
    try {
      assert.match(fallback.server!.output(), /WARNING: isolation is "process".*the sandbox is unavailable: selfless is not root/);
    } finally {
      await fallback.server!.stop();
      removeDir(fallback.server!.dataDir);
    }
  } finally {
    removeDir(dir);
  }
});
