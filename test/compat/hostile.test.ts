// Hostile conditions (issue 22 item 4): slow clients (slowloris headers, stalled and trickled bodies) are cut off at
// the set limits and release what they held, long polls and streamed responses outlive those limits, 10,000 idle
// connections do not stop service, and a corrupted or foreign database file refuses to start with one clear line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InvokeCommand, InvokeWithResponseStreamCommand } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { MAIN, removeDir, removeServer, startServer, type Running } from '../helpers/server.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { sqsClient } from '../helpers/sqs.js';

const onPg = process.env['SELFLESS_TEST_STORE'] === 'postgres';
/**
 * The server's side of the TCP connections to its port, from /proc/net/tcp (the listener and TIME_WAIT, which holds no
 * descriptor, left out): what the connections hold of the server, apart from its own sockets that come and go.
 */
const fdCount = (port: number): number => {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[1]!.endsWith(`:${hex}`) && cols[3] !== '0A' && cols[3] !== '06') n++;
    }
  }
  return n;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `cond` holds; returns whether it did. Not a timing assertion: the bound is generous. */
async function until(cond: () => boolean, ms = 30_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(100);
  }
  return cond();
}

/** A raw connection that records what the server sends and when it closes. */
function rawConn(port: number): Promise<{ sock: Socket; got: () => string; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let got = '';
    let closed = false;
    const sock = connect(port, '127.0.0.1', () => resolve({ sock, got: () => got, closed: () => closed }));
    sock.on('data', (c: Buffer) => (got += c.toString('latin1')));
    sock.on('close', () => (closed = true));
    sock.on('error', (e) => (closed ? undefined : reject(e)));
  });
}

const STREAMER = `exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  stream.write('first;');
  await new Promise((r) => setTimeout(r, 8000));
  stream.write('last');
  stream.end();
});`;
const SLOW = `exports.handler = async () => { await new Promise((r) => setTimeout(r, 8000)); return { slept: true }; };`;

// Short limits so that the test does not wait minutes: 2 s for headers, 2 s of body silence, 6 s for a whole request.
let server: Running;
before(async () => {
  server = await startServer({ env: { SELFLESS_HTTP_HEADERS_TIMEOUT_SECONDS: '2', SELFLESS_HTTP_BODY_IDLE_TIMEOUT_SECONDS: '2', SELFLESS_HTTP_REQUEST_TIMEOUT_SECONDS: '6' } });
});
after(async () => {
  await server.stop();
  await removeServer(server);
});

test('Hostile: slowloris connections (headers trickled) are cut off at the headers timeout with a 408, and their file descriptors are released', async () => {
  const baseline = fdCount(server.port);
  const conns = await Promise.all(Array.from({ length: 50 }, () => rawConn(server.port)));
  // One more never sends a byte: it is closed too, at the same limit.
  const silent = await rawConn(server.port);
  for (const c of conns) c.sock.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n');
  assert.ok(await until(() => fdCount(server.port) >= baseline + 51, 10_000), 'the server holds the 50 connections');
  // Each keeps sending a header line every 500 ms, never finishing the block.
  const drip = setInterval(() => conns.forEach((c, i) => !c.closed() && c.sock.write(`X-Drip-${i}-${Date.now()}: x\r\n`)), 500);
  try {
    assert.ok(await until(() => conns.every((c) => c.closed())), `all cut off (${conns.filter((c) => c.closed()).length}/50 closed)`);
  } finally {
    clearInterval(drip);
  }
  assert.ok(await until(() => silent.closed()), 'a connection that never sends a byte is closed');
  const first = conns[0]!.got();
  assert.match(first, /^HTTP\/1\.1 408 /, first.slice(0, 200));
  assert.match(first, /RequestTimeout/);
  assert.ok(await until(() => fdCount(server.port) <= baseline + 2, 10_000), `connections back to ${baseline} (now ${fdCount(server.port)})`);
});

test('Hostile: a request body that stops arriving is cut off at the body-idle limit with RequestTimeout', async () => {
  const c = await rawConn(server.port);
  const body = JSON.stringify({ QueueNamePrefix: 'x'.repeat(200) });
  c.sock.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AmazonSQS.ListQueues\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  assert.ok(await until(() => c.closed()), 'the connection is closed');
  assert.match(c.got(), /^HTTP\/1\.1 408 /, c.got().slice(0, 200));
  assert.match(c.got(), /"__type":"RequestTimeout"/);
});

test('Hostile: a body trickled steadily (a byte every 500 ms) is cut off at the request timeout', async () => {
  const c = await rawConn(server.port);
  c.sock.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AmazonSQS.SendMessage\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 100000\r\n\r\n');
  let sent = 0;
  const drip = setInterval(() => {
    if (!c.closed()) {
      c.sock.write('a');
      sent++;
    }
  }, 500);
  try {
    assert.ok(await until(() => c.closed()), 'the connection is closed');
  } finally {
    clearInterval(drip);
  }
  assert.ok(sent < 100_000, `cut off after ${sent} bytes of 100000`);
  // The request timeout answers 408 when nothing was sent yet; the answer may race the close, the cut-off may not.
  if (c.got()) assert.match(c.got(), /^HTTP\/1\.1 (408|400) /, c.got().slice(0, 200));
});

test('Hostile: a 20 s long-poll ReceiveMessage, an 8 s Invoke and a streamed Invoke outlive the short limits', async () => {
  const sqs = sqsClient(server.url);
  const lambda = lambdaClient(server.url);
  try {
    const q = (await sqs.send(new CreateQueueCommand({ QueueName: 'hostile-longpoll' }))).QueueUrl!;
    const polled = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q, WaitTimeSeconds: 20 }));
    assert.equal(polled.Messages, undefined, 'an empty long poll ends normally after 20 s');
    await createFunction(lambda, 'hostile-slow', { 'index.js': SLOW }, { timeout: 20 });
    const r = await lambda.send(new InvokeCommand({ FunctionName: 'hostile-slow', Payload: Buffer.from('{}') }));
    assert.equal(r.FunctionError, undefined);
    assert.deepEqual(JSON.parse(Buffer.from(r.Payload!).toString()), { slept: true });
    await createFunction(lambda, 'hostile-streamer', { 'index.js': STREAMER }, { timeout: 20 });
    const s = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'hostile-streamer', Payload: Buffer.from('{}') }));
    let text = '';
    let complete = false;
    for await (const ev of s.EventStream!) {
      if (ev.PayloadChunk) text += Buffer.from(ev.PayloadChunk.Payload ?? []).toString();
      if (ev.InvokeComplete) complete = ev.InvokeComplete.ErrorCode === undefined;
    }
    assert.equal(text, 'first;last');
    assert.ok(complete, 'InvokeComplete without an error');
  } finally {
    sqs.destroy();
    lambda.destroy();
  }
});

test('Hostile: 10,000 open idle connections do not stop service', async (t) => {
  const soft = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024);
  const n = Math.min(10_000, soft - 500);
  if (n < 10_000) t.diagnostic(`this test process may open ${soft} files: testing with ${n} idle connections instead of 10,000`);
  const idle = await startServer();
  const socks: Socket[] = [];
  try {
    const port = idle.port;
    const baseline = fdCount(port);
    for (let i = 0; i < n; i += 500) {
      const batch = await Promise.all(Array.from({ length: Math.min(500, n - i) }, () => rawConn(idle.port)));
      socks.push(...batch.map((b) => b.sock));
    }
    // Half of them have been used once and sit in keep-alive; the others never sent a byte.
    await Promise.all(socks.slice(0, n / 2).map((s) => new Promise<void>((r) => {
      s.once('data', () => r());
      s.write('GET /_selfless/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    })));
    assert.ok(await until(() => fdCount(port) >= baseline + n, 60_000), `the server holds ${n} connections (${fdCount(port)} open)`);
    const sqs = sqsClient(idle.url);
    try {
      const q = (await sqs.send(new CreateQueueCommand({ QueueName: 'hostile-idle' }))).QueueUrl!;
      await sqs.send(new SendMessageCommand({ QueueUrl: q, MessageBody: 'served' }));
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q, WaitTimeSeconds: 1 }));
      assert.equal(got.Messages?.[0]?.Body, 'served');
      assert.ok((await sqs.send(new ListQueuesCommand({}))).QueueUrls?.includes(q));
    } finally {
      sqs.destroy();
    }
    for (const s of socks) s.destroy();
    assert.ok(await until(() => fdCount(port) <= baseline + 10, 60_000), `fds back near ${baseline} (now ${fdCount(port)})`);
  } finally {
    for (const s of socks) s.destroy();
    await idle.stop();
    await removeServer(idle);
  }
});

/** Runs `selfless start` on a data dir and returns its exit code and output (it is expected to refuse). */
function refusedStart(dataDir: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [MAIN, 'start', '--port', '0', '--data', dataDir], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function assertOneClearLine(r: { code: number | null; out: string }, file: string, problem: RegExp): void {
  assert.notEqual(r.code, 0, `exit code non-zero (got ${r.code}): ${r.out}`);
  assert.notEqual(r.code, null, `it exited by itself: ${r.out}`);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.out}`);
  assert.ok(lines[0]!.includes(file), `names ${file}: ${lines[0]}`);
  assert.match(lines[0]!, problem);
  assert.doesNotMatch(r.out, /\n\s+at |ready on/, 'no stack trace, not started');
}

const hasPython = spawnSync('python3', ['-c', 'import sqlite3'], { stdio: 'ignore' }).status === 0;
const sqlite = (file: string, script: string): void => {
  const r = spawnSync('python3', ['-c', `import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nc.executescript(sys.argv[2])\nc.commit()`, file, script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
};

test('Hostile: a selfless.db of random bytes refuses to start with one line naming the file', { skip: onPg && 'SQLite-only: the data dir holds no database with --store postgres' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfless-corrupt-'));
  try {
    writeFileSync(join(dir, 'selfless.db'), randomBytes(64 * 1024));
    assertOneClearLine(refusedStart(dir), join(dir, 'selfless.db'), /not a selfless database|damaged/);
  } finally {
    removeDir(dir);
  }
});

test('Hostile: the SQLite database of another application refuses to start, and is left untouched', { skip: (onPg && 'SQLite-only') || (!hasPython && 'python3 with sqlite3 is absent') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfless-foreign-'));
  try {
    const file = join(dir, 'selfless.db');
    sqlite(file, 'CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); INSERT INTO moz_places (url) VALUES (\'https://example.com\');');
    const before = readFileSync(file);
    assertOneClearLine(refusedStart(dir), file, /another application/);
    assert.ok(readFileSync(file).equals(before), 'the foreign file is byte-for-byte unchanged');
    sqlite(file, 'DROP TABLE moz_places; PRAGMA application_id = 1234;');
    assertOneClearLine(refusedStart(dir), file, /another application \(application_id 0x4d2\)/);
  } finally {
    removeDir(dir);
  }
});

test('Hostile: a database with a newer schema version, or with damaged pages, refuses to start with one clear line', { skip: (onPg && 'SQLite-only') || (!hasPython && 'python3 with sqlite3 is absent') }, async () => {
  const s = await startServer();
  await s.stop();
  const file = join(s.dataDir, 'selfless.db');
  try {
    sqlite(file, "INSERT INTO store_migrations (owner, version) VALUES ('sqs', 999);");
    assertOneClearLine(refusedStart(s.dataDir), file, /schema version 999 of 'sqs', newer than this selfless knows/);
    sqlite(file, "DELETE FROM store_migrations WHERE version = 999; PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;");
    // Page 1 (the header and the schema's root) stays; every other page gets random bytes.
    const bytes = readFileSync(file);
    const page = bytes.readUInt16BE(16) === 1 ? 65536 : bytes.readUInt16BE(16);
    randomBytes(bytes.length - page).copy(bytes, page);
    writeFileSync(file, bytes);
    assertOneClearLine(refusedStart(s.dataDir), file, /damaged|not a selfless database/);
  } finally {
    await removeServer(s);
  }
});
