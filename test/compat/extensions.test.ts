// Compatibility: Lambda extensions (Extensions API 2020-01-01) and Telemetry API (2022-07-01) subscribers, driven
// by real extensions in a layer, in the sandbox and in process isolation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateFunctionCommand, InvokeCommand, PublishLayerVersionCommand, UpdateFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { removeServer, type Running } from '../helpers/server.js';
import { startInMode } from '../helpers/isolation.js';
import { lambdaClient, ROLE } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';

/** An external extension in Node.js: registers, reports its events to the test's collector, serves HTTP. */
const MY_EXT = `#!/usr/bin/env node
const http = require('node:http');
const dns = require('node:dns');
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API;
const report = (body) => fetch(process.env.COLLECTOR, { method: 'POST', body: JSON.stringify(body) }).catch(() => {});
async function main() {
  const reg = await fetch(api + '/2020-01-01/extension/register', {
    method: 'POST', headers: { 'Lambda-Extension-Name': 'my-ext' }, body: JSON.stringify({ events: ['INVOKE', 'SHUTDOWN'] }),
  });
  const id = reg.headers.get('lambda-extension-identifier');
  const info = await reg.json();
  await report({ kind: 'registered', status: reg.status, info, env: process.env.AWS_LAMBDA_FUNCTION_NAME });
  console.log('my-ext registered');
  if (process.env.EXT_PORT) {
    http.createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => res.end(JSON.stringify({ adapted: true, path: req.url, event: JSON.parse(b || 'null') })));
    }).listen(Number(process.env.EXT_PORT), '127.0.0.1');
  }
  if (process.env.TEL_PORT) {
    const host = await new Promise((r) => dns.lookup('sandbox.localdomain', (err) => r(err ? '127.0.0.1' : 'sandbox.localdomain')));
    await new Promise((r) => http.createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => { res.end('ok'); void report({ kind: 'telemetry', batch: JSON.parse(b) }); });
    }).listen(Number(process.env.TEL_PORT), host, r));
    const sub = await fetch(api + '/2022-07-01/telemetry', {
      method: 'PUT', headers: { 'Lambda-Extension-Identifier': id },
      body: JSON.stringify({ schemaVersion: '2022-12-13', destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:' + process.env.TEL_PORT },
        types: ['platform', 'function', 'extension'], buffering: { maxItems: 1000, maxBytes: 262144, timeoutMs: 25 } }),
    });
    const bad = await fetch(api + '/2022-07-01/telemetry', {
      method: 'PUT', headers: { 'Lambda-Extension-Identifier': id },
      body: JSON.stringify({ schemaVersion: '2022-12-13', destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:1' }, types: ['platform'], buffering: { timeoutMs: 5 } }),
    });
    await report({ kind: 'subscribed', status: sub.status, body: await sub.text(), badStatus: bad.status, bad: await bad.json() });
  }
  const noId = await fetch(api + '/2020-01-01/extension/event/next');
  const wrongId = await fetch(api + '/2020-01-01/extension/event/next', { headers: { 'Lambda-Extension-Identifier': '00000000-0000-0000-0000-000000000000' } });
  await report({ kind: 'errors', noId: [noId.status, await noId.json()], wrongId: [wrongId.status, await wrongId.json()] });
  for (;;) {
    const r = await fetch(api + '/2020-01-01/extension/event/next', { headers: { 'Lambda-Extension-Identifier': id } });
    const ev = await r.json();
    console.log('my-ext got ' + ev.eventType);
    await report({ kind: 'event', event: ev, eventId: r.headers.get('lambda-extension-event-identifier') });
    if (ev.eventType === 'SHUTDOWN') process.exit(0);
    if (process.env.EXT_SLEEP_MS) await new Promise((r) => setTimeout(r, Number(process.env.EXT_SLEEP_MS)));
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
`;

/** Registers, then reports an init error (AWS: the invoke fails with that error type). */
const INIT_ERROR_EXT = `#!/usr/bin/env node
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API;
(async () => {
  const reg = await fetch(api + '/2020-01-01/extension/register', { method: 'POST', headers: { 'Lambda-Extension-Name': 'bad-ext' }, body: '{"events":["INVOKE"]}' });
  await fetch(api + '/2020-01-01/extension/init/error', { method: 'POST', headers: { 'Lambda-Extension-Identifier': reg.headers.get('lambda-extension-identifier'), 'Lambda-Extension-Function-Error-Type': 'Extension.ConfigInvalid' }, body: '{"errorMessage":"no config","errorType":"ConfigInvalid"}' });
  setInterval(() => {}, 1000);
})();
`;

const CRASH_EXT = `#!/bin/sh
echo "crashing now"
exit 3
`;

const HANDLER = `
exports.handler = async (event, context) => {
  console.log('hello from ' + context.awsRequestId);
  if (event.forward) {
    const r = await fetch('http://127.0.0.1:' + process.env.EXT_PORT + '/adapter', { method: 'POST', body: JSON.stringify(event) });
    return await r.json();
  }
  return { ok: true, requestId: context.awsRequestId };
};`;

/** An internal extension: the function's own module registers from inside the runtime process during Init. */
const INTERNAL = `
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API;
const reg = await fetch(api + '/2020-01-01/extension/register', { method: 'POST', headers: { 'Lambda-Extension-Name': 'in-proc' }, body: '{"events":[]}' });
const id = reg.headers.get('lambda-extension-identifier');
const info = await reg.json();
const shutdown = await fetch(api + '/2020-01-01/extension/register', { method: 'POST', headers: { 'Lambda-Extension-Name': 'in-proc-2' }, body: '{"events":["SHUTDOWN"]}' });
const refused = [shutdown.status, await shutdown.json()];
void fetch(api + '/2020-01-01/extension/event/next', { headers: { 'Lambda-Extension-Identifier': id } }).catch(() => {});
export const handler = async () => ({ status: reg.status, id: typeof id, info, refused });
`;

interface Collected {
  kind: string;
  [k: string]: any;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

const json = (b?: Uint8Array): any => JSON.parse(Buffer.from(b ?? []).toString('utf8'));

for (const mode of ['sandbox', 'process'] as const) {
  describe(`extensions (${mode})`, () => {
    let server: Running | undefined;
    let skip: string | undefined;
    let client: LambdaClient;
    let collector: Server;
    let collectorUrl = '';
    const got: Collected[] = [];
    let extLayer = '';
    let errLayer = '';
    let crashLayer = '';

    before(async () => {
      const s = await startInMode(mode);
      server = s.server;
      skip = s.skip;
      if (!server) return;
      client = lambdaClient(server.url);
      collector = createServer((req, res) => {
        let b = '';
        req.on('data', (c) => (b += c));
        req.on('end', () => {
          got.push(JSON.parse(b) as Collected);
          res.end('ok');
        });
      });
      await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
      collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`;
      const layer = async (name: string, file: string, body: string) =>
        (await client.send(new PublishLayerVersionCommand({ LayerName: name, Content: { ZipFile: await zip([{ name: `extensions/${file}`, content: body, mode: 0o100755 }]) } }))).LayerVersionArn!;
      extLayer = await layer('my-ext-layer', 'my-ext', MY_EXT);
      errLayer = await layer('bad-ext-layer', 'bad-ext', INIT_ERROR_EXT);
      crashLayer = await layer('crash-ext-layer', 'crash-ext', CRASH_EXT);
    });
    after(async () => {
      collector?.close();
      if (!server) return;
      await server.stop();
      await removeServer(server);
    });

    const create = async (name: string, layers: string[], env: Record<string, string>, files: Record<string, string> = { 'index.js': HANDLER }, handler = 'index.handler') =>
      client.send(new CreateFunctionCommand({
        FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: handler, Timeout: 10,
        Code: { ZipFile: await zip(files) }, Layers: layers, Environment: { Variables: { COLLECTOR: collectorUrl, ...env } },
      }));
    const invoke = (name: string, payload: unknown = {}, tail = false) =>
      client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: tail ? 'Tail' : undefined }));
    /** Waits (by polling, with a generous limit) until the collector has what `match` looks for. */
    const waitFor = async (match: () => boolean, poke?: () => Promise<unknown>): Promise<void> => {
      for (let i = 0; i < 200 && !match(); i++) {
        if (poke && i % 10 === 9) await poke();
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(match(), `collector never saw it; got ${JSON.stringify(got).slice(0, 2000)}`);
    };

    test(`Lambda (${mode}): a function with an extension gets INVOKE events with its request ids, then SHUTDOWN`, async (t) => {
      if (!server) return t.skip(skip);
      await create('ext-basic', [extLayer], {});
      const r1 = await invoke('ext-basic');
      assert.equal(r1.FunctionError, undefined, Buffer.from(r1.Payload ?? []).toString());
      const id1 = json(r1.Payload).requestId as string;
      const reg = got.find((g) => g.kind === 'registered' && g.env === 'ext-basic');
      assert.ok(reg, 'the extension registered');
      assert.equal(reg.status, 200);
      assert.deepEqual(reg.info, { functionName: 'ext-basic', functionVersion: '$LATEST', handler: 'index.handler' });
      const errs = got.find((g) => g.kind === 'errors')!;
      assert.deepEqual(errs.noId, [403, { errorMessage: 'Missing Lambda-Extension-Identifier header', errorType: 'Extension.MissingExtensionIdentifier' }]);
      assert.deepEqual(errs.wrongId, [403, { errorMessage: 'Invalid Lambda-Extension-Identifier', errorType: 'Extension.InvalidExtensionIdentifier' }]);
      await waitFor(() => got.some((g) => g.kind === 'event' && g.event.requestId === id1));
      const ev = got.find((g) => g.kind === 'event' && g.event.requestId === id1)!.event;
      assert.equal(ev.eventType, 'INVOKE');
      assert.equal(ev.invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:ext-basic');
      assert.equal(typeof ev.deadlineMs, 'number');
      assert.equal(ev.tracing.type, 'X-Amzn-Trace-Id');
      const r2 = await invoke('ext-basic');
      const id2 = json(r2.Payload).requestId as string;
      await waitFor(() => got.some((g) => g.kind === 'event' && g.event.requestId === id2));
      // A configuration change retires the idle environment: its extension gets SHUTDOWN before it goes.
      await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'ext-basic', Environment: { Variables: { COLLECTOR: collectorUrl, CHANGED: '1' } } }));
      await waitFor(() => got.some((g) => g.kind === 'event' && g.event.eventType === 'SHUTDOWN'));
      const sd = got.find((g) => g.kind === 'event' && g.event.eventType === 'SHUTDOWN')!.event;
      assert.equal(sd.shutdownReason, 'spindown');
      assert.equal(typeof sd.deadlineMs, 'number');
    });

    test(`Lambda (${mode}): the extension's time after the response is in the REPORT line as PostRuntimeExtensionsDuration`, async (t) => {
      if (!server) return t.skip(skip);
      await create('ext-slow', [extLayer], { EXT_SLEEP_MS: '300' });
      const r = await invoke('ext-slow', {}, true);
      assert.equal(r.FunctionError, undefined);
      const log = Buffer.from(r.LogResult ?? '', 'base64').toString();
      const report = log.split('\n').find((l) => l.startsWith('REPORT'));
      assert.ok(report, log);
      const post = /PostRuntimeExtensionsDuration: ([\d.]+) ms/.exec(report);
      assert.ok(post, report);
      const duration = Number(/\tDuration: ([\d.]+) ms/.exec(report)![1]);
      assert.ok(duration >= Number(post[1]), `Duration ${duration} covers the extensions' ${post[1]}`);
      assert.match(log, /my-ext got INVOKE/);
      // The extension's own output is in the function's log stream, with the platform's EXTENSION line.
      const cold = await invoke('ext-slow', {}, true);
      assert.equal(cold.FunctionError, undefined);
    });

    test(`Lambda (${mode}): a function behind a Web Adapter-style extension forwards its event to the extension's HTTP server`, async (t) => {
      if (!server) return t.skip(skip);
      const port = await freePort();
      await create('ext-adapter', [extLayer], { EXT_PORT: String(port) });
      const r = await invoke('ext-adapter', { forward: true, n: 7 });
      assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
      assert.deepEqual(json(r.Payload), { adapted: true, path: '/adapter', event: { forward: true, n: 7 } });
    });

    test(`Lambda (${mode}): a Telemetry API subscriber receives platform events and the function's log lines`, async (t) => {
      if (!server) return t.skip(skip);
      const port = await freePort();
      await create('ext-telemetry', [extLayer], { TEL_PORT: String(port) });
      const r = await invoke('ext-telemetry');
      assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
      const id = json(r.Payload).requestId as string;
      const sub = got.find((g) => g.kind === 'subscribed')!;
      assert.equal(sub.status, 200);
      assert.equal(sub.body, 'OK');
      assert.equal(sub.badStatus, 400);
      assert.equal(sub.bad.errorType, 'ValidationError');
      const events = (): any[] => got.filter((g) => g.kind === 'telemetry').flatMap((g) => g.batch as any[]);
      const has = (type: string, pred: (rec: any) => boolean = (rec) => rec?.requestId === id): boolean => events().some((e) => e.type === type && pred(e.record));
      // The environment is frozen between invocations (as on AWS): later invocations let the extension take delivery.
      await waitFor(() => has('platform.start') && has('platform.runtimeDone') && has('platform.report'), () => invoke('ext-telemetry'));
      assert.ok(has('platform.initStart', (rec) => rec.functionName === 'ext-telemetry' && rec.phase === 'init'));
      assert.ok(events().some((e) => e.type === 'function' && typeof e.record === 'string' && e.record.includes(`hello from ${id}`)), 'the function log line');
      assert.ok(events().some((e) => e.type === 'extension' && String(e.record).includes('my-ext registered')), 'the extension log line');
      const report = events().find((e) => e.type === 'platform.report' && e.record.requestId === id)!;
      for (const k of ['durationMs', 'billedDurationMs', 'memorySizeMB', 'maxMemoryUsedMB', 'initDurationMs']) assert.equal(typeof report.record.metrics[k], 'number', k);
      assert.equal(report.record.status, 'success');
      const done = events().find((e) => e.type === 'platform.runtimeDone' && e.record.requestId === id)!;
      assert.equal(done.record.status, 'success');
      assert.ok(Number.isFinite(Date.parse(done.time)));
    });

    test(`Lambda (${mode}): an extension's init error or crash fails the invocation with its error type`, async (t) => {
      if (!server) return t.skip(skip);
      await create('ext-init-error', [errLayer], {});
      const r = await invoke('ext-init-error', {}, true);
      assert.equal(r.FunctionError, 'Unhandled');
      assert.equal(json(r.Payload).errorType, 'Extension.ConfigInvalid');
      assert.match(Buffer.from(r.LogResult ?? '', 'base64').toString(), /INIT_REPORT .*Status: error\tError Type: Extension.ConfigInvalid/);
      await create('ext-crash', [crashLayer], {});
      const c = await invoke('ext-crash', {}, true);
      assert.equal(c.FunctionError, 'Unhandled');
      assert.equal(json(c.Payload).errorType, 'Extension.Crash');
      assert.match(Buffer.from(c.LogResult ?? '', 'base64').toString(), /Error Type: Extension.Crash/);
    });

    test(`Lambda (${mode}): an internal extension registers from inside the runtime process`, async (t) => {
      if (!server) return t.skip(skip);
      await create('ext-internal', [], {}, { 'index.mjs': INTERNAL });
      const r = await invoke('ext-internal');
      assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
      const body = json(r.Payload);
      assert.equal(body.status, 200);
      assert.equal(body.id, 'string');
      assert.equal(body.info.functionName, 'ext-internal');
      assert.equal(body.refused[0], 403);
      assert.equal(body.refused[1].errorType, 'Extension.InvalidEventType');
      const again = await invoke('ext-internal');
      assert.equal(again.FunctionError, undefined);
    });
  });
}
