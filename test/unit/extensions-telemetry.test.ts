// Unit: the Telemetry API's subscription checks and buffering, the supervisor's line tags, and the Extensions API's
// registration rules (ExtensionHost with a fake clock and captured HTTP answers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { FakeClock } from '../../src/lib/clock.js';
import { parseSubscription } from '../../src/engine/runtime-api/extensions.js';
import { AwsExtError, ExtensionHost } from '../../src/engine/extensions/host.js';
import { Telemetry } from '../../src/engine/extensions/telemetry.js';
import { parseSupervisorLine } from '../../src/engine/extensions/supervisor.js';
import { reportLine } from '../../src/engine/report.js';

const body = (extra: Record<string, unknown> = {}) => ({ schemaVersion: '2022-12-13', destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:8080/t' }, types: ['platform'], ...extra });
const err = (r: unknown): string => (r instanceof AwsExtError ? `${r.status} ${r.errorType}: ${r.errorMessage}` : 'ok');

test('Telemetry API: a subscription gets AWS buffering defaults and limits, and malformed ones are ValidationErrors', () => {
  const ok = parseSubscription(body(), 'telemetry');
  assert.ok(!(ok instanceof AwsExtError));
  assert.deepEqual(ok.buffering, { maxItems: 10_000, maxBytes: 262_144, timeoutMs: 1000 });
  assert.match(err(parseSubscription(body({ buffering: { timeoutMs: 10 } }), 'telemetry')), /^400 ValidationError: buffering.timeoutMs: Must be greater than or equal to 25/);
  assert.match(err(parseSubscription(body({ buffering: { maxItems: 20_000 } }), 'telemetry')), /buffering.maxItems: Must be less than or equal to 10000/);
  assert.match(err(parseSubscription(body({ buffering: { maxBytes: 1.5 } }), 'telemetry')), /Expected: integer/);
  assert.match(err(parseSubscription(body({ types: ['platform', 'nope'] }), 'telemetry')), /types: must be one of/);
  assert.match(err(parseSubscription(body({ types: [] }), 'telemetry')), /types/);
  assert.match(err(parseSubscription(body({ schemaVersion: '1999-01-01' }), 'telemetry')), /schemaVersion/);
  assert.match(err(parseSubscription(body({ destination: { protocol: 'TCP', port: 9 } }), 'telemetry')), /TCP destinations are not supported/);
  assert.match(err(parseSubscription(body({ destination: { protocol: 'HTTP', URI: 'not a uri' } }), 'telemetry')), /destination.URI/);
  assert.match(err(parseSubscription('x', 'telemetry')), /not a valid JSON object/);
});

test('Telemetry API: events are delivered in batches of maxItems, and a subscriber joining during Init gets Init\'s events', async () => {
  const batches: { type: string }[][] = [];
  const srv = createServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      batches.push(JSON.parse(b) as { type: string }[]);
      res.end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  const clock = new FakeClock();
  const t = new Telemetry(clock);
  t.emit('platform.initStart', { phase: 'init' });
  t.subscribe('ext', { uri: `http://sandbox.localdomain:${port}/`, types: ['platform', 'function'], buffering: { maxItems: 1000, maxBytes: 262_144, timeoutMs: 100 } });
  t.endBacklog();
  t.emit('extension', 'not subscribed');
  for (let i = 0; i < 1500; i++) t.emit('function', `line ${i}`);
  await t.flush();
  for (let i = 0; i < 20 && batches.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  clock.advance(100);
  await t.flush();
  srv.close();
  const all = batches.flat();
  assert.equal(batches[0]!.length, 1000, 'the first batch is full');
  assert.equal(all[0]!.type, 'platform.initStart');
  assert.equal(all.filter((e) => e.type === 'function').length, 1500);
  assert.equal(all.some((e) => e.type === 'extension'), false);
  t.close();
});

test('Extensions: supervisor tags are read only with the environment\'s token', () => {
  assert.deepEqual(parseSupervisorLine('\u001eabc log my-ext hello world', 'abc'), { kind: 'log', name: 'my-ext', text: 'hello world' });
  assert.deepEqual(parseSupervisorLine('\u001eabc exit my-ext exit status 3', 'abc'), { kind: 'exit', name: 'my-ext', reason: 'exit status 3' });
  assert.equal(parseSupervisorLine('\u001ewrong exit my-ext exit status 3', 'abc'), undefined);
  assert.equal(parseSupervisorLine('plain function output', 'abc'), undefined);
});

/** A stand-in for an HTTP answer that records what was written. */
function answer(): ServerResponse & { status: number; headers: Record<string, unknown>; text: string } {
  const r = {
    status: 0,
    headers: {} as Record<string, unknown>,
    text: '',
    destroyed: false,
    writeHead(s: number, h: Record<string, unknown>) {
      r.status = s;
      r.headers = h;
      return r;
    },
    end(t?: string) {
      r.text = t ?? '';
    },
    on() {
      return r;
    },
    destroy() {
      r.destroyed = true;
    },
  };
  return r as never;
}

test('Extensions API: registration rules, INVOKE delivery and the gates of Init and of an invocation', async () => {
  const lines: string[] = [];
  const host = new ExtensionHost(new FakeClock(), () => undefined, (l) => lines.push(l));
  host.expect(['ext-a']);
  const info = { functionName: 'f', functionVersion: '$LATEST', handler: 'index.handler', accountId: '000000000000' };
  assert.equal(host.allRegistered(), false);
  const noName = answer();
  host.register(undefined, [], info, false, noName);
  assert.equal(noName.status, 403);
  assert.equal(JSON.parse(noName.text).errorType, 'Extension.InvalidExtensionName');
  const bad = answer();
  host.register('ext-a', ['BOGUS'], info, false, bad);
  assert.equal(JSON.parse(bad.text).errorType, 'Extension.InvalidEventType');
  const reg = answer();
  host.register('ext-a', ['INVOKE', 'SHUTDOWN'], info, true, reg);
  assert.equal(reg.status, 200);
  assert.deepEqual(JSON.parse(reg.text), { ...info });
  const id = reg.headers['lambda-extension-identifier'] as string;
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.match(lines[0]!, /^EXTENSION\tName: ext-a\tState: Ready\tEvents: \[INVOKE,SHUTDOWN\]$/);
  const twice = answer();
  host.register('ext-a', ['INVOKE'], info, false, twice);
  assert.equal(JSON.parse(twice.text).errorType, 'Extension.InvalidExtensionState');
  const internalShutdown = answer();
  host.register('in-proc', ['SHUTDOWN'], info, false, internalShutdown);
  assert.equal(JSON.parse(internalShutdown.text).errorType, 'Extension.InvalidEventType');
  assert.equal(host.allRegistered(), true);
  assert.equal(host.initDone(), false, 'Init waits for its first event/next');
  const wait = answer();
  host.next(id, wait);
  assert.equal(host.initDone(), true);
  host.closeRegistration();
  const late = answer();
  host.register('late', [], info, false, late);
  assert.equal(JSON.parse(late.text).errorType, 'Extension.RegistrationClosed');
  host.invoke({ eventType: 'INVOKE', deadlineMs: 1, requestId: 'r1', invokedFunctionArn: 'arn', tracing: { type: 'X-Amzn-Trace-Id', value: 'Root=1' } });
  assert.equal(JSON.parse(wait.text).requestId, 'r1');
  assert.equal(host.busy, true);
  let drained = false;
  void host.drained().then(() => (drained = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false);
  host.next(id, answer());
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, true);
  const missing = answer();
  host.next(undefined, missing);
  assert.deepEqual(JSON.parse(missing.text), { errorMessage: 'Missing Lambda-Extension-Identifier header', errorType: 'Extension.MissingExtensionIdentifier' });
  host.dispose();
});

test('REPORT: PostRuntimeExtensionsDuration follows Init Duration when extensions worked after the response', () => {
  const l = reportLine({ requestId: 'r', durationMs: 12.5, memorySize: 128, maxMemoryUsedMB: 60, initMs: 100, postRuntimeMs: 10.25 });
  assert.equal(l, 'REPORT RequestId: r\tDuration: 12.50 ms\tBilled Duration: 113 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tInit Duration: 100.00 ms\tPostRuntimeExtensionsDuration: 10.25 ms\t');
});
