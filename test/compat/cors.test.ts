// Compatibility: CORS on function URLs (and HTTP APIs) — preflights answered by the URL itself, configured headers on
// responses, and a real headless Chromium page on another origin calling a function URL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateFunctionUrlConfigCommand, DeleteFunctionUrlConfigCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { removeDir, startServer, type Running, removeServer } from '../helpers/server.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { call } from '../fixtures/gateway/http.js';

const CHROMIUM = '/usr/bin/chromium';
let server: Running;
let client: LambdaClient;
let page: Server;
let pageOrigin = '';
let invocations = 0;

const FN = `let n = 0; exports.handler = async (event) => ({ statusCode: 200, headers: { 'x-answer': 'forty-two', 'access-control-allow-origin': 'https://evil.example' }, body: JSON.stringify({ method: event.requestContext.http.method, custom: event.headers['x-custom'] ?? null }) });`;

before(async () => {
  server = await startServer();
  client = lambdaClient(server.url);
  await createFunction(client, 'corsfn', { 'index.js': FN });
  page = createServer((req, res) => {
    invocations++;
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>other origin</title><p>page</p>');
  });
  await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
  pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => page.close(r));
  await server.stop();
  await removeServer(server);
});

async function corsUrl(qualifier: string | undefined, origins: string[]): Promise<{ id: string; url: string }> {
  const c = await client.send(
    new CreateFunctionUrlConfigCommand({
      FunctionName: 'corsfn',
      Qualifier: qualifier,
      AuthType: 'NONE',
      Cors: { AllowOrigins: origins, AllowMethods: ['POST', 'GET'], AllowHeaders: ['content-type', 'x-custom'], ExposeHeaders: ['x-answer'], MaxAge: 300 },
    }),
  );
  return { id: new URL(c.FunctionUrl!).hostname.split('.')[0]!, url: c.FunctionUrl! };
}

test('CORS: a function URL answers preflights itself and puts its configured headers on responses', async () => {
  const { id } = await corsUrl(undefined, ['https://app.example']);
  const base = `${server.url}/lambda-url/${id}/`;
  const pre = await call(base, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-custom' } });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
  assert.equal(pre.headers['access-control-allow-methods'], 'POST,GET');
  assert.equal(pre.headers['access-control-allow-headers'], 'content-type,x-custom');
  assert.equal(pre.headers['access-control-max-age'], '300');
  const denied = await call(base, { method: 'OPTIONS', headers: { origin: 'https://other.example', 'access-control-request-method': 'POST' } });
  assert.equal(denied.headers['access-control-allow-origin'], undefined);
  const r = await call(base, { method: 'POST', headers: { origin: 'https://app.example' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers['access-control-allow-origin'], 'https://app.example', "the configuration overrides the function's own header");
  assert.equal(r.headers['access-control-expose-headers'], 'x-answer');
});

test('CORS: an HTTP API with a CORS configuration answers preflights with 204', async () => {
  const put = await call(`${server.url}/_selfless/gateway/apis/corsapi`, {
    method: 'PUT',
    body: JSON.stringify({ type: 'HTTP', cors: { AllowOrigins: ['*'], AllowMethods: ['*'] }, routes: [{ path: '/c', function: 'corsfn' }] }),
  });
  assert.equal(put.status, 200, put.text);
  const pre = await call(`${server.url}/gateway/corsapi/c`, { method: 'OPTIONS', headers: { origin: 'https://x.example', 'access-control-request-method': 'DELETE' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], '*');
  assert.equal(pre.headers['access-control-allow-methods'], 'DELETE');
});

test('CORS: a page on another origin in headless Chromium calls a function URL (and is refused by one that does not allow it)', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed` }, async () => {
  const { chromium } = await import('playwright-core');
  // $LATEST has one URL (AWS refuses `$LATEST` as a qualifier): the earlier test's is replaced by one for this page.
  await client.send(new DeleteFunctionUrlConfigCommand({ FunctionName: 'corsfn' }));
  const allowed = await corsUrl(undefined, [pageOrigin]);
  await createFunction(client, 'corsfn-closed', { 'index.js': FN });
  const closed = await client.send(
    new CreateFunctionUrlConfigCommand({ FunctionName: 'corsfn-closed', AuthType: 'NONE', Cors: { AllowOrigins: ['https://only.example'], AllowMethods: ['*'], AllowHeaders: ['*'] } }),
  );
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  try {
    const tab = await browser.newPage();
    await tab.goto(`${pageOrigin}/`);
    const script = async (url: string): Promise<unknown> => {
      try {
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-custom': 'from-page' }, body: '{}' });
        return { status: r.status, answer: r.headers.get('x-answer'), body: await r.json() };
      } catch (e) {
        return { error: String(e) };
      }
    };
    // Host form: Chromium resolves *.localhost to loopback by itself.
    const ok = (await tab.evaluate(script, allowed.url)) as { status: number; answer: string; body: { method: string; custom: string } };
    assert.equal(ok.status, 200, JSON.stringify(ok));
    assert.equal(ok.answer, 'forty-two', 'exposed header readable by the page');
    assert.deepEqual(ok.body, { method: 'POST', custom: 'from-page' });
    const refused = (await tab.evaluate(script, closed.FunctionUrl!)) as { error?: string };
    assert.match(refused.error ?? '', /TypeError|Failed to fetch/);
  } finally {
    await browser.close();
  }
  assert.ok(invocations >= 1);
});
