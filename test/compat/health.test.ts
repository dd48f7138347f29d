// The node's own routes: `/_selfless/health` lists every service and its state; `/_selfless/cluster` the live nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveServer } from '../helpers/server.js';

const server = liveServer();

test('GET /_selfless/health answers 200 with every service of the node running, in start order', async () => {
  const r = await fetch(`${server().url}/_selfless/health`);
  assert.equal(r.status, 200);
  const body = (await r.json()) as { status: string; services: { name: string; state: string }[] };
  assert.equal(body.status, 'ok');
  const names = body.services.map((s) => s.name);
  for (const n of ['logs', 'sqs', 'engine', 'kinesis', 'dynamodb', 'lambda', 's3', 'cloudformation', 'cluster']) assert.ok(names.includes(n), n);
  assert.ok(names.indexOf('kinesis') < names.indexOf('lambda'), 'stream sources start before Lambda reads them');
  assert.ok(body.services.every((s) => s.state === 'running'));
});

test('GET /_selfless/cluster lists this node with its heartbeat', async () => {
  const body = (await (await fetch(`${server().url}/_selfless/cluster`)).json()) as { self: string; nodes: { id: string; lastHeartbeat: string }[] };
  assert.equal(body.nodes.length, 1);
  assert.equal(body.nodes[0]!.id, body.self);
  assert.ok(!Number.isNaN(Date.parse(body.nodes[0]!.lastHeartbeat)));
});
