// Unit: SigV4's canonical request and signature against AWS's published examples (the SigV4 test suite's get-vanilla,
// the IAM ListUsers example of the SigV4 docs), and the verifier against what @smithy/signature-v4 signs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { canonicalHeaders, canonicalPaths, canonicalQuery, canonicalRequest, hmacHex, sha256Hex, signingKey, stringToSign } from '../../src/server/sigv4.js';
import { AuthFailure, Authenticator } from '../../src/server/sigv4-verify.js';
import { rootSource } from '../../src/server/auth.js';
import { authError } from '../../src/server/auth-errors.js';
import { signedHeaders } from '../../src/lib/sign.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const DATE = '20150830T123600Z';

/** Just what the verifier reads of a request. */
function fakeRequest(method: string, url: string, headers: Record<string, string>, body = ''): IncomingMessage & { body: Buffer } {
  const rawHeaders = Object.entries(headers).flat();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method, url, rawHeaders, headers: lower, body: Buffer.from(body) } as unknown as IncomingMessage & { body: Buffer };
}

function sign(method: string, path: string, query: string, headers: Record<string, string>, signed: string[], payload: string, region: string, service: string): string {
  const req = fakeRequest(method, path, headers);
  const cr = canonicalRequest(method, canonicalPaths(path, service === 's3')[0]!, canonicalQuery(query), canonicalHeaders(req, signed), signed, payload);
  return hmacHex(signingKey(SECRET, DATE.slice(0, 8), region, service), stringToSign(DATE, `${DATE.slice(0, 8)}/${region}/${service}/aws4_request`, cr));
}

test('SigV4: the test suite get-vanilla request signs to the published signature', () => {
  const sig = sign('GET', '/', '', { Host: 'example.amazonaws.com', 'X-Amz-Date': DATE }, ['host', 'x-amz-date'], sha256Hex(''), 'us-east-1', 'service');
  assert.equal(sig, '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
});

test('SigV4: the IAM ListUsers example of the SigV4 documentation signs to the published signature', () => {
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', Host: 'iam.amazonaws.com', 'X-Amz-Date': DATE };
  const req = fakeRequest('GET', '/?Action=ListUsers&Version=2010-05-08', headers);
  const cr = canonicalRequest('GET', '/', canonicalQuery('Action=ListUsers&Version=2010-05-08'), canonicalHeaders(req, ['content-type', 'host', 'x-amz-date']), ['content-type', 'host', 'x-amz-date'], sha256Hex(''));
  assert.equal(sha256Hex(cr), 'f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59');
  const sig = sign('GET', '/', 'Action=ListUsers&Version=2010-05-08', headers, ['content-type', 'host', 'x-amz-date'], sha256Hex(''), 'us-east-1', 'iam');
  assert.equal(sig, '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
});

test('SigV4: paths are encoded twice except for S3, dot segments removed, query parameters sorted and strictly encoded', () => {
  assert.deepEqual(canonicalPaths('/2015-03-31/functions/arn%3Aaws%3Alambda/invocations', false), ['/2015-03-31/functions/arn%253Aaws%253Alambda/invocations']);
  assert.deepEqual(canonicalPaths('/bucket/a%20b/c', true), ['/bucket/a%20b/c']);
  assert.deepEqual(canonicalPaths('/a/./b/../c', false), ['/a/c']);
  // The JS SDK drops empty segments, botocore keeps them: both are tried.
  assert.deepEqual(canonicalPaths('/a//b', false), ['/a/b', '/a//b']);
  assert.equal(canonicalQuery('b=2&a=x%20y&a=1&c&X-Amz-Signature=zz'), 'a=1&a=x%20y&b=2&c=');
  assert.equal(canonicalQuery("k=!'()*"), 'k=%21%27%28%29%2A');
});

async function verify(req: IncomingMessage & { body: Buffer }, s3: boolean, now = Date.now()): Promise<string> {
  const a = new Authenticator({ mode: 'enforce', accountId: '000000000000', credentials: rootSource({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET }, '000000000000'), now: () => now });
  try {
    return (await a.verify({ req, s3, body: s3 ? undefined : req.body }))!.arn;
  } catch (e) {
    if (e instanceof AuthFailure) return e.kind;
    throw e;
  }
}

test('SigV4: what @smithy/signature-v4 signs verifies (encoded Lambda paths, S3 keys, queries), and a changed byte does not', async () => {
  const key = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET };
  const cases: { url: string; service: string; body?: string; headers?: Record<string, string> }[] = [
    { url: 'http://127.0.0.1:9000/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations?Qualifier=%24LATEST', service: 'lambda', body: '{"a":1}' },
    { url: 'http://127.0.0.1:9000/', service: 'sqs', body: '{"QueueName":"q"}', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.CreateQueue' } },
    { url: 'http://127.0.0.1:9000/bucket/dir/a%20b%2Bc.txt?list-type=2&prefix=a%2Fb&marker=', service: 's3' },
  ];
  for (const c of cases) {
    const headers = await signedHeaders({ method: 'POST', url: c.url, service: c.service, region: 'us-east-1', headers: c.headers ?? {}, body: c.body, key });
    const u = new URL(c.url);
    const good = fakeRequest('POST', u.pathname + u.search, headers, c.body ?? '');
    assert.equal(await verify(good, c.service === 's3'), 'arn:aws:iam::000000000000:root', c.url);
    const tampered = fakeRequest('POST', u.pathname + u.search + (u.search ? '&x=1' : '?x=1'), headers, c.body ?? '');
    assert.equal(await verify(tampered, c.service === 's3'), 'bad-signature', c.url);
    if (c.body) assert.equal(await verify(fakeRequest('POST', u.pathname + u.search, headers, `${c.body} `), c.service === 's3'), 'bad-signature');
    assert.equal(await verify(good, c.service === 's3', Date.now() + 16 * 60 * 1000), 'skew');
  }
});

test('SigV4: a header signature without its parts is malformed, an unsigned request in enforce mode is missing', async () => {
  assert.equal(await verify(fakeRequest('GET', '/', { Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request', Host: 'h' }), false), 'malformed');
  assert.equal(await verify(fakeRequest('GET', '/', { Host: 'h' }), false), 'missing');
});

test('SigV4: verification costs (per request, cached signing key) are measured', async () => {
  const key = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET };
  const url = 'http://127.0.0.1:9000/2015-03-31/functions/f/invocations';
  const body = JSON.stringify({ payload: 'x'.repeat(1000) });
  const headers = await signedHeaders({ method: 'POST', url, service: 'lambda', region: 'us-east-1', headers: { 'content-type': 'application/json' }, body, key });
  const req = fakeRequest('POST', '/2015-03-31/functions/f/invocations', headers, body);
  const a = new Authenticator({ mode: 'enforce', accountId: '000000000000', credentials: rootSource(key, '000000000000'), now: Date.now });
  const input = { req, s3: false, body: req.body };
  for (let i = 0; i < 2000; i++) await a.verify(input);
  const n = 10000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await a.verify(input);
  const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
  assert.equal((await a.verify(input))?.kind, 'root');
  process.stdout.write(`# sigv4 verify of a 1 KB Invoke: ${us.toFixed(1)} µs per request\n`);
  assert.ok(us < 1000, `${us} µs per verification`);
});

test('SigV4: temporary credentials need their token and expire; an inactive key is refused; each answers per protocol', async () => {
  const caller = { arn: 'arn:aws:sts::000000000000:assumed-role/r/s', accountId: '000000000000', userId: 'AROAEXAMPLE:s', kind: 'assumed-role' as const };
  let expiresAt = Date.now() + 60_000;
  let active = true;
  const a = new Authenticator({
    mode: 'enforce',
    accountId: '000000000000',
    credentials: { lookup: async (id) => (id === 'ASIAEXAMPLE' ? { secretAccessKey: SECRET, caller, sessionToken: 'tok', expiresAt, active } : undefined) },
    now: Date.now,
  });
  const url = 'http://127.0.0.1:9000/2015-03-31/functions/';
  const req = async (sessionToken?: string) => {
    const h = await signedHeaders({ method: 'GET', url, service: 'lambda', region: 'us-east-1', key: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: SECRET, ...(sessionToken ? { sessionToken } : {}) } });
    return fakeRequest('GET', '/2015-03-31/functions/', h);
  };
  const kind = async (r: IncomingMessage): Promise<string> => {
    try {
      return (await a.verify({ req: r, s3: false, body: Buffer.alloc(0) }))!.arn;
    } catch (e) {
      if (e instanceof AuthFailure) return `${e.kind} ${authError(e, 'json').code} ${authError(e, 'query').code} ${authError(e, 's3').code}`;
      throw e;
    }
  };
  assert.equal(await kind(await req('tok')), caller.arn);
  assert.equal(await kind(await req()), 'bad-token UnrecognizedClientException InvalidClientTokenId InvalidToken');
  assert.equal(await kind(await req('other')), 'bad-token UnrecognizedClientException InvalidClientTokenId InvalidToken');
  expiresAt = Date.now() - 1;
  assert.equal(await kind(await req('tok')), 'expired-token ExpiredTokenException ExpiredToken ExpiredToken');
  expiresAt = Date.now() + 60_000;
  active = false;
  assert.equal(await kind(await req('tok')), 'inactive-key UnrecognizedClientException InvalidClientTokenId InvalidAccessKeyId');
});
