// SigV4 as AWS computes it: parsing the header and presigned forms, the canonical request, the string to sign, and
// the signing key (cached), as pure functions; sigv4-verify.ts decides what a request's signature proves.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createHash, createHmac } from 'node:crypto';

export interface Scope {
  accessKeyId: string;
  region: string;
  service: string;
}

const SCOPE = /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/;

/** The scope only (routing: which service a request is for, which region): no verification. */
export function credentialScope(headers: IncomingHttpHeaders, query: URLSearchParams): Scope | undefined {
  const auth = headers['authorization'];
  const text = typeof auth === 'string' ? auth : `Credential=${query.get('X-Amz-Credential') ?? ''}`;
  const m = SCOPE.exec(text);
  if (!m) return undefined;
  return { accessKeyId: m[1]!, region: m[2]!, service: m[3]! };
}

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** What a signed request claims, before any check: from the Authorization header or the presigned query. */
export interface SignedClaim {
  form: 'header' | 'query';
  accessKeyId: string;
  /** yyyymmdd of the credential scope. */
  date: string;
  region: string;
  service: string;
  /** `<date>/<region>/<service>/aws4_request`. */
  scope: string;
  signedHeaders: string[];
  signature: string;
  /** yyyymmddThhmmssZ (X-Amz-Date, or the Date header converted). */
  amzDate: string | undefined;
  /** Presigned only: X-Amz-Expires in seconds. */
  expires?: string;
  sessionToken?: string;
}

/** Why a claimed signature cannot even be read (AWS's IncompleteSignature / AuthorizationHeaderMalformed). */
export class MalformedAuth extends Error {}

function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** RFC 1123 `Date:` → yyyymmddThhmmssZ (old clients sign with Date instead of X-Amz-Date). */
function fromHttpDate(d: string): string | undefined {
  const t = Date.parse(d);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The signature a request claims, undefined for an unsigned request; MalformedAuth when it is half there. */
export function parseClaim(headers: IncomingHttpHeaders, query: URLSearchParams): SignedClaim | undefined {
  const auth = headerText(headers, 'authorization');
  if (auth !== undefined && auth !== '') {
    const sp = auth.indexOf(' ');
    const alg = sp < 0 ? auth : auth.slice(0, sp);
    if (alg !== ALGORITHM) throw new MalformedAuth(`Unsupported Authorization Type`);
    const parts = new Map<string, string>();
    for (const p of auth.slice(sp + 1).split(',')) {
      const eq = p.indexOf('=');
      if (eq > 0) parts.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
    }
    const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !parts.has(k)).map((k) => `Authorization header requires '${k}' parameter.`);
    const amzDate = headerText(headers, 'x-amz-date') ?? (headers['date'] ? fromHttpDate(String(headers['date'])) : undefined);
    if (amzDate === undefined) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    if (missing.length > 0) throw new MalformedAuth(`${missing.join(' ')} Authorization=${auth}`);
    return claim('header', parts.get('Credential')!, parts.get('SignedHeaders')!, parts.get('Signature')!, amzDate, headerText(headers, 'x-amz-security-token'));
  }
  if (!query.has('X-Amz-Algorithm') && !query.has('X-Amz-Signature') && !query.has('X-Amz-Credential')) return undefined;
  if (query.get('X-Amz-Algorithm') !== ALGORITHM) throw new MalformedAuth('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const need = ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'].filter((k) => !query.has(k));
  if (need.length > 0) throw new MalformedAuth(`Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.`);
  const c = claim('query', query.get('X-Amz-Credential')!, query.get('X-Amz-SignedHeaders')!, query.get('X-Amz-Signature')!, query.get('X-Amz-Date')!, query.get('X-Amz-Security-Token') ?? undefined);
  c.expires = query.get('X-Amz-Expires') ?? undefined;
  return c;
}

function claim(form: 'header' | 'query', credential: string, signedHeaders: string, signature: string, amzDate: string | undefined, token: string | undefined): SignedClaim {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1]!)) {
    throw new MalformedAuth(`Credential should be scoped to a valid region. ` + `Credential=${credential}`);
  }
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  return {
    form,
    accessKeyId,
    date,
    region,
    service,
    scope: `${date}/${region}/${service}/aws4_request`,
    signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()),
    signature,
    amzDate,
    sessionToken: token,
  };
}

/** AWS's URI encoding: everything but unreserved characters (A-Z a-z 0-9 - _ . ~) as %XX. */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The canonical URI candidates of a wire path. S3 signs the path as sent. Every other service signs the path's
 * encoding (so an encoded path is encoded twice) after removing dot segments; the JS SDK also drops empty segments,
 * botocore keeps them, so both forms are candidates when they differ.
 */
export function canonicalPaths(wirePath: string, s3: boolean): string[] {
  const path = wirePath === '' ? '/' : wirePath;
  if (s3) {
    // As sent; a client that sent characters unencoded signed their encoding.
    const strict = path.split('/').map((seg) => uriEncode(decode(seg))).join('/');
    return strict === path ? [path] : [path, strict];
  }
  const enc = (p: string): string => uriEncode(p).replace(/%2F/g, '/');
  const js: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') js.pop();
    else js.push(seg);
  }
  const jsPath = `${path.startsWith('/') ? '/' : ''}${js.join('/')}${js.length > 0 && path.endsWith('/') ? '/' : ''}`;
  const py: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '.') continue;
    if (seg !== '..') py.push(seg);
    else if (py.length > 0) py.pop();
  }
  if (path.startsWith('/') && (py.length === 0 || py[0] !== '')) py.unshift('');
  if (py.length > 0 && (path.endsWith('/.') || path.endsWith('/..'))) py.push('');
  const pyPath = py.join('/') || '/';
  const a = enc(jsPath);
  const b = enc(pyPath);
  return a === b ? [a] : [a, b];
}

/** The canonical query string: every parameter (but the signature) encoded, sorted by name then value. */
export function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  const pairs: [string, string][] = [];
  for (const p of rawQuery.split('&')) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    const k = uriEncode(decode(eq < 0 ? p : p.slice(0, eq)));
    if (k === 'X-Amz-Signature') continue;
    pairs.push([k, uriEncode(decode(eq < 0 ? '' : p.slice(eq + 1)))]);
  }
  pairs.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Signed headers' canonical lines: values of one name joined with `,`, trimmed, inner runs of spaces collapsed. */
export function canonicalHeaders(req: Pick<IncomingMessage, 'rawHeaders' | 'headers'>, signed: string[]): string {
  const values = new Map<string, string[]>();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    let list = values.get(name);
    if (!list) values.set(name, (list = []));
    list.push(raw[i + 1]!.trim().replace(/\s+/g, ' '));
  }
  // HTTP/2 carries the host as :authority.
  if (!values.has('host') && typeof req.headers[':authority'] === 'string') values.set('host', [req.headers[':authority']]);
  return signed.map((h) => `${h}:${(values.get(h) ?? []).join(',')}\n`).join('');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function canonicalRequest(method: string, path: string, query: string, headers: string, signed: string[], payloadHash: string): string {
  return `${method}\n${path}\n${query}\n${headers}\n${signed.join(';')}\n${payloadHash}`;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

// Derived keys change once a day per (secret, region, service): a small cache saves four HMACs per request.
const keyCache = new Map<string, Buffer>();
const KEY_CACHE_MAX = 1024;

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${date}\n${region}\n${service}\n${secret}`;
  const hit = keyCache.get(id);
  if (hit) return hit;
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  const key = createHmac('sha256', kService).update('aws4_request').digest();
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, key);
  return key;
}

export function hmacHex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/** The string to sign of one aws-chunked chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD). */
export function chunkStringToSign(amzDate: string, scope: string, previous: string, chunkHash: string): string {
  return `${ALGORITHM}-PAYLOAD\n${amzDate}\n${scope}\n${previous}\n${EMPTY_SHA256}\n${chunkHash}`;
}

/** yyyymmddThhmmssZ → epoch ms (NaN when malformed). */
export function amzTime(d: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(d);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
}

export function toAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
