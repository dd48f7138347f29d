// Unit: the gateway's pure parts — route precedence, response mapping, the streaming prelude, event-stream framing,
// and the sample-shape comparison the compatibility tests rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { compile, findRoute, type StoredApi } from '../../src/services/gateway/routes.js';
import { mapAlb, mapV1, mapV2 } from '../../src/services/gateway/responses.js';
import { PreludeSplitter } from '../../src/services/gateway/prelude.js';
import { eventMessage, invokeComplete } from '../../src/services/lambda/api-stream.js';
import { shapeDiff } from '../fixtures/gateway/shape.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite.js';
import { RouteTable } from '../../src/services/gateway/routes.js';
import { loadGatewayConfig } from '../../src/services/gateway/config.js';

const api = (type: StoredApi['type'], routes: StoredApi['routes']): StoredApi => ({ id: 'a', type, region: 'us-east-1', stage: 'dev', routes });

test('Gateway routes: literal beats {param} beats {proxy+}; a method beats ANY; {proxy+} needs at least one segment', () => {
  const routes = compile(
    api('REST', [
      { path: '/{proxy+}', function: 'greedy' },
      { path: '/a/{x}', function: 'param' },
      { path: '/a/b', function: 'literal' },
      { method: 'POST', path: '/a/{x}', function: 'post' },
      { path: '/', function: 'root' },
    ]),
  );
  const fn = (m: string, p: string): string | undefined => findRoute(routes, m, p).match?.route.def.function;
  assert.equal(fn('GET', '/a/b'), 'literal');
  assert.equal(fn('GET', '/a/c'), 'param');
  assert.equal(fn('POST', '/a/c'), 'post');
  assert.equal(fn('GET', '/a/c/d'), 'greedy');
  assert.equal(fn('GET', '/'), 'root');
  assert.deepEqual(findRoute(routes, 'GET', '/x/y%20z').match?.params, { proxy: 'x/y z' });
  const noRoot = compile(api('REST', [{ path: '/{proxy+}', function: 'g' }]));
  assert.equal(findRoute(noRoot, 'GET', '/').match, undefined);
  const onlyPost = compile(api('REST', [{ method: 'POST', path: '/p', function: 'p' }]));
  assert.deepEqual(findRoute(onlyPost, 'GET', '/p'), { match: undefined, pathMatched: true });
  assert.throws(() => compile(api('REST', [{ path: '/{a+}/b', function: 'x' }])), /greedy/);
  assert.throws(() => compile(api('REST', [{ path: '$default', function: 'x' }])), /HTTP APIs/);
});

test('Response mapping: payload 2.0 infers 200 JSON; 1.0 needs statusCode and merges multiValueHeaders; ALB keeps statusDescription', () => {
  assert.deepEqual(mapV2(Buffer.from('{"a":1}')), { status: 200, headers: [['content-type', 'application/json']], body: Buffer.from('{"a":1}') });
  assert.equal(mapV2(Buffer.from('"hi"'))?.body.toString(), 'hi');
  assert.equal(mapV2(Buffer.from('{"statusCode":"abc"}')), undefined);
  const v2 = mapV2(Buffer.from(JSON.stringify({ statusCode: 204, cookies: ['a=1', 'b=2'] })))!;
  assert.deepEqual(v2.headers, [['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
  assert.equal(mapV1(Buffer.from('{"a":1}')), undefined);
  assert.equal(mapV1(Buffer.from('{"statusCode":200,"body":{"x":1}}')), undefined, '1.0 bodies must be strings');
  const v1 = mapV1(Buffer.from(JSON.stringify({ statusCode: 200, headers: { A: '1', B: 'x' }, multiValueHeaders: { B: ['2', '3'] } })))!;
  assert.deepEqual(v1.headers, [['B', '2'], ['B', '3'], ['A', '1']]);
  const alb = mapAlb(Buffer.from(JSON.stringify({ statusCode: 200, statusDescription: '200 OK', headers: { a: '1' }, body: 'x' })), false)!;
  assert.equal(alb.statusMessage, 'OK');
  assert.deepEqual(alb.headers, [['a', '1']]);
  assert.deepEqual(mapAlb(Buffer.from(JSON.stringify({ statusCode: 200, headers: { a: '1' } })), true)!.headers, [], 'multi-value target groups read only multiValueHeaders');
});

test('Streaming prelude: the JSON before 8 NUL bytes is status and headers, split across chunks; no delimiter means a plain body', () => {
  const s = new PreludeSplitter();
  assert.equal(s.push(Buffer.from('{"statusCode":2')), undefined);
  const out = s.push(Buffer.concat([Buffer.from('01}'), Buffer.alloc(8), Buffer.from('bo')]))!;
  assert.equal(out.prelude.statusCode, 201);
  assert.equal(out.body.toString(), 'bo');
  assert.equal(s.push(Buffer.from('dy'))!.body.toString(), 'dy');
  const plain = new PreludeSplitter();
  plain.push(Buffer.from('just text'));
  assert.deepEqual(plain.end(), { prelude: {}, body: Buffer.from('just text') });
});

test('Event stream framing: lengths, prelude CRC, string headers and message CRC as AWS encodes them', () => {
  const m = eventMessage({ ':event-type': 'PayloadChunk' }, Buffer.from('abc'));
  const headersLen = 1 + 11 + 1 + 2 + 12;
  assert.equal(m.readUInt32BE(0), m.length);
  assert.equal(m.length, 12 + headersLen + 3 + 4);
  assert.equal(m.readUInt32BE(4), headersLen);
  assert.equal(m.readUInt32BE(8), crc32(m.subarray(0, 8)));
  assert.equal(m.readUInt8(12), 11);
  assert.equal(m.subarray(13, 24).toString(), ':event-type');
  assert.equal(m.readUInt8(24), 7);
  assert.equal(m.readUInt16BE(25), 12);
  assert.equal(m.subarray(27, 39).toString(), 'PayloadChunk');
  assert.equal(m.subarray(39, 42).toString(), 'abc');
  assert.equal(m.readUInt32BE(m.length - 4), crc32(m.subarray(0, m.length - 4)));
  const done = invokeComplete({ ErrorCode: 'Unhandled' });
  assert.ok(done.includes(Buffer.from('{"ErrorCode":"Unhandled"}')));
});

test('Shape comparison: catches missing keys, extra keys and type changes, and honours the allowed differences', () => {
  const sample = { a: 'x', m: { h: 'v' }, n: { k: 1 } };
  assert.deepEqual(shapeDiff(sample, { a: 'y', m: { other: 'w' }, n: { k: 2 } }, { maps: ['m'] }), []);
  assert.deepEqual(shapeDiff(sample, { a: 1, m: {}, n: { k: 2 } }, { maps: ['m'] }), ['a: expected string, got number']);
  assert.deepEqual(shapeDiff(sample, { m: {}, n: { k: 2 }, z: 1 }, { maps: ['m'] }), ['a: missing', 'z: not in AWS\'s sample']);
  assert.deepEqual(shapeDiff(sample, { m: {}, n: { k: 2 } }, { maps: ['m'], optional: ['a'] }), []);
  assert.deepEqual(shapeDiff(sample, { a: null, m: {}, n: { k: 2 } }, { maps: ['m'], nullable: ['a'] }), []);
  assert.deepEqual(shapeDiff(sample, { a: 'x', m: { h: 3 }, n: { k: 2 } }, { maps: ['m'] }), ['m.h: expected string, got number']);
});

test('Gateway config file: APIs are put into the route table; a bad file is refused with a message naming the problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfless-gwcfg-'));
  const store = new SqliteStore(dir);
  try {
    const table = new RouteTable(store);
    await table.load();
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ apis: { shop: { type: 'REST', stage: 'dev', routes: [{ method: 'GET', path: '/pets/{id}', function: 'pets' }] } } }));
    assert.equal(await loadGatewayConfig(table, good, 'eu-west-1'), 1);
    assert.equal(table.get('shop')?.api.region, 'eu-west-1');
    assert.equal(findRoute(table.get('shop')!.routes, 'GET', '/pets/1').match?.route.def.function, 'pets');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ apis: { x: { type: 'REST', routes: [{ path: 'nope', function: 'f' }] } } }));
    await assert.rejects(loadGatewayConfig(table, bad, 'us-east-1'), /gateway config .*bad\.json: API x: Route path nope must start with \//);
    writeFileSync(bad, '{"apis": {"x": {"type": "SOAP", "routes": []}}}');
    await assert.rejects(loadGatewayConfig(table, bad, 'us-east-1'), /apis\.x\.type/);
    await assert.rejects(loadGatewayConfig(table, join(dir, 'missing.json'), 'us-east-1'), /ENOENT/);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
