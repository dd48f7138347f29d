// A model-driven fuzzer: builds a plausible request for each operation from the generated AWS input shapes, then
// deterministic (seeded) mutations of it, sends them, and judges each answer (no 5xx, no drop, AWS's error shape).
import { request as httpRequest } from 'node:http';
import type { ServiceShapes, Shape, MemberRef } from '../../src/server/shapes/types.js';

/** A seeded PRNG (mulberry32): the same seed gives the same mutations on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzRequest {
  service: string;
  op: string;
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface FuzzAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Values the fuzzer puts into members of these names, so that requests reach past "not found". */
export type Known = Record<string, unknown>;

const CANDIDATES = ['fuzz', 'fuzz-1', 'a', '1', 'arn:aws:lambda:us-east-1:000000000000:function:fuzz', 'arn:aws:iam::000000000000:role/fuzz', '$LATEST', 'x'];

function regexOf(s: Shape): RegExp | undefined {
  if (s.pt === undefined) return undefined;
  try {
    return new RegExp(`^(?:${s.pt})$`, s.pf ?? 'u');
  } catch {
    return undefined;
  }
}

/** A value of shape `name` that satisfies its constraints where that is easy (enums, lengths, ranges, simple patterns). */
export function sample(model: ServiceShapes, name: string, known: Known, member = '', depth = 0): unknown {
  const s = model.shapes[name];
  if (!s || depth > 8) return undefined;
  if (member && member in known) return known[member];
  switch (s.t) {
    case 'structure':
    case 'union': {
      const o: Record<string, unknown> = {};
      const members = (s.m ?? {}) as Record<string, MemberRef>;
      const req = s.r ?? (s.t === 'union' ? Object.keys(members).slice(0, 1) : []);
      for (const m of req) if (members[m] && !members[m].l) o[m] = sample(model, members[m].s, known, m, depth + 1);
      return o;
    }
    case 'list': {
      const n = Math.max(1, s.min ?? 0);
      return Array.from({ length: Math.min(n, 3) }, () => sample(model, s.m as string, known, '', depth + 1));
    }
    case 'map':
      return { [String(sample(model, s.k!, known, '', depth + 1) ?? 'k')]: sample(model, s.v!, known, '', depth + 1) };
    case 'string': {
      if (s.e?.length) return s.e[0];
      const re = regexOf(s);
      const fits = (v: string): boolean => (s.min === undefined || v.length >= s.min) && (s.max === undefined || v.length <= s.max) && (!re || re.test(v));
      for (const c of CANDIDATES) if (fits(c)) return c;
      return 'x'.repeat(Math.max(1, s.min ?? 1));
    }
    case 'integer':
    case 'long':
      return Math.min(Math.max(s.min ?? 1, 1), s.max ?? Number.MAX_SAFE_INTEGER);
    case 'float':
    case 'double':
      return s.min ?? 1;
    case 'boolean':
      return false;
    case 'blob':
      return Buffer.from('fuzz').toString('base64');
    case 'timestamp':
      return 1_700_000_000;
    default:
      return {};
  }
}

/** Every body member path of the input (to depth 3) with its shape name. */
function memberPaths(model: ServiceShapes, name: string, prefix: string[] = [], depth = 0, out: { path: string[]; shape: string; required: boolean }[] = []): typeof out {
  const s = model.shapes[name];
  if (!s || depth > 2 || (s.t !== 'structure' && s.t !== 'union')) return out;
  const members = (s.m ?? {}) as Record<string, MemberRef>;
  for (const [m, ref] of Object.entries(members)) {
    if (ref.l) continue;
    const path = [...prefix, m];
    out.push({ path, shape: ref.s, required: (s.r ?? []).includes(m) });
    memberPaths(model, ref.s, path, depth + 1, out);
  }
  return out;
}

const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
const HOSTILE: [string, unknown][] = [
  ['null', null], ['float', 1.5], ['negative', -1], ['huge-int', 2 ** 53], ['big-int', 2 ** 31], ['string', 'fuzz'], ['empty-string', ''],
  ['true', true], ['empty-list', []], ['empty-object', {}], ['list-of-null', [null]], ['list-of-object', [{ a: 1 }]],
  ['object-of-null', { a: null }], ['number-string', '12'], ['long-string', 'x'.repeat(100_000)], ['nul-string', 'a\u0000b\ud800'],
  ['bad-enum', 'NOT_A_VALUE'], ['nested-100', JSON.parse(deep(100))],
];

function setPath(o: Record<string, unknown>, path: string[], v: unknown, remove = false): void {
  let cur: Record<string, unknown> = o;
  for (const p of path.slice(0, -1)) {
    const next = cur[p];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (remove) delete cur[last];
  else cur[last] = v;
}

/** The base body of an operation and `n` seeded mutations of it, as raw JSON texts with a label each. */
export function mutations(model: ServiceShapes, op: string, known: Known, n: number, seed: number): { kind: string; body: string }[] {
  const input = model.ops[op]?.i;
  const base = (input ? sample(model, input, known) : {}) as Record<string, unknown>;
  const text = JSON.stringify(base);
  const out: { kind: string; body: string }[] = [
    { kind: 'base', body: text },
    { kind: 'body-null', body: 'null' },
    { kind: 'body-array', body: '[]' },
    { kind: 'body-number', body: '1' },
    { kind: 'body-string', body: '"x"' },
    { kind: 'body-empty', body: '' },
    { kind: 'body-garbage', body: '{"a":' },
    { kind: 'body-deep', body: `{"a":${deep(10_000)}}` },
  ];
  const paths = input ? memberPaths(model, input) : [];
  const rnd = prng(seed);
  for (const p of paths.filter((x) => x.required)) out.push({ kind: `missing:${p.path.join('.')}`, body: JSON.stringify(withPath(base, p.path, undefined, true)) });
  out.push({ kind: 'extra-member', body: JSON.stringify({ ...base, NotInTheModel: { x: [1, 2] } }) });
  for (let i = 0; out.length < n && paths.length > 0 && i < n * 2; i++) {
    const p = paths[Math.floor(rnd() * paths.length)]!;
    const [label, v] = HOSTILE[Math.floor(rnd() * HOSTILE.length)]!;
    out.push({ kind: `${p.path.join('.')}=${label}`, body: JSON.stringify(withPath(base, p.path, v)) });
  }
  return out.slice(0, Math.max(n, out.length));
}

function withPath(base: Record<string, unknown>, path: string[], v: unknown, remove = false): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  setPath(copy, path, v, remove);
  return copy;
}

/** Fills a rest-json request URI template (`/2015-03-31/functions/{FunctionName}/invocations?…`). */
export function restPath(model: ServiceShapes, op: string, known: Known): string {
  const [, uri] = model.ops[op]!.h!;
  const [path, q] = uri.split('?');
  const input = model.ops[op]!.i ? model.shapes[model.ops[op]!.i!] : undefined;
  const members = (input?.m ?? {}) as Record<string, MemberRef>;
  const filled = path!.replace(/\{(\w+)\+?\}/g, (_, name: string) => {
    const m = Object.entries(members).find(([k, r]) => (r.n ?? k) === name);
    const v = m ? sample(model, m[1].s, known, m[0]) : 'fuzz';
    return encodeURIComponent(String(v ?? 'fuzz'));
  });
  return q ? `${filled}?${q}` : filled;
}

/** Sends one request on its own connection; resolves `dropped` when the connection ends without an answer. */
export function send(base: string, r: Pick<FuzzRequest, 'method' | 'path' | 'headers' | 'body'>, timeoutMs = 30_000): Promise<FuzzAnswer | 'dropped' | 'timeout'> {
  const u = new URL(base);
  return new Promise((resolve) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method: r.method, path: r.path, headers: { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', () => resolve('dropped'));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve('timeout');
    });
    req.on('error', () => resolve('dropped'));
    req.end(r.body);
  });
}

/** AWS's errors common to all services (https://docs.aws.amazon.com/…/CommonErrors) and the protocol-level ones. */
export const COMMON_ERRORS = new Set([
  'AccessDeniedException', 'IncompleteSignature', 'InternalFailure', 'InvalidAction', 'InvalidClientTokenId', 'InvalidParameterCombination',
  'InvalidParameterValue', 'InvalidQueryParameter', 'MalformedQueryString', 'MissingAction', 'MissingAuthenticationToken', 'MissingParameter',
  'NotAuthorized', 'OptInRequired', 'RequestExpired', 'ServiceUnavailable', 'ThrottlingException', 'ValidationError', 'ValidationException',
  'SerializationException', 'UnknownOperationException', 'InvalidRequestContentException', 'RequestEntityTooLargeException',
  'UnrecognizedClientException', 'InvalidSignatureException', 'MethodNotAllowed', 'IncompleteSignatureException',
  'MissingAuthenticationTokenException', 'ExpiredTokenException', 'SignatureDoesNotMatch', 'ExpiredToken',
]);

/** Codes a service answers in every operation though its model does not list them everywhere (Lambda: a missing function). */
export const SERVICE_ERRORS: Record<string, string[]> = {
  lambda: ['ResourceNotFoundException'],
  // CloudWatch Logs' constraint violations are InvalidParameterException on every operation (its edge validation
  // code), also on the deprecated tag operations whose models list no such error (ListTagsLogGroup, UntagLogGroup).
  Logs_20140328: ['InvalidParameterException'],
};

export type Verdict = 'ok' | '5xx' | 'dropped' | 'misshapen';

/** Judges an answer: a 2xx/3xx, or an error in the protocol's shape with a listed code. */
export function judge(protocol: 'json' | 'rest', a: FuzzAnswer | 'dropped' | 'timeout', allowed: ReadonlySet<string>): { verdict: Verdict; code?: string; why?: string } {
  if (a === 'dropped' || a === 'timeout') return { verdict: 'dropped', why: a };
  if (a.status >= 500) return { verdict: '5xx', why: `${a.status} ${a.body.toString('utf8').slice(0, 200)}` };
  if (a.status < 400) return { verdict: 'ok' };
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(a.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return { verdict: 'misshapen', why: `not JSON: ${a.status} ${a.body.toString('utf8').slice(0, 100)}` };
  }
  if (typeof body !== 'object' || body === null) return { verdict: 'misshapen', why: 'body not an object' };
  const header = a.headers['x-amzn-errortype'];
  const raw = protocol === 'json' ? body['__type'] : (typeof header === 'string' ? header : undefined) ?? body['__type'] ?? body['code'];
  if (typeof raw !== 'string' || raw === '') return { verdict: 'misshapen', why: 'no error code' };
  const code = raw.split(':')[0]!.split('#').pop()!;
  const message = body['message'] ?? body['Message'];
  if (message !== undefined && typeof message !== 'string') return { verdict: 'misshapen', code, why: 'message not a string' };
  if (!allowed.has(code) && !COMMON_ERRORS.has(code)) return { verdict: 'misshapen', code, why: `code ${code} not in the model's errors` };
  if (typeof message === 'string' && /\/(?:tmp|home|root|work|usr|var)\/|at [\w.]+ \(|node:internal/.test(message)) return { verdict: 'misshapen', code, why: 'message shows a server path or stack' };
  return { verdict: 'ok', code };
}
