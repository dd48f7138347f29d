// S3's front door on the shared endpoint: which requests are S3's (SigV4 service `s3`, presigned `X-Amz-Credential`
// for s3, or a `<bucket>.s3.localhost` host), bucket and key from the path or host, presigned expiry, CORS, and
// S3-shaped answers and errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { contentShaMismatch } from '../../server/auth-errors.js';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { AwsError, toAwsError } from '../../lib/errors.js';
import { credentialScope } from '../../server/sigv4.js';
import type { Caller } from '../../server/auth.js';
import type { RawRoute } from '../../server/types.js';
import { readBody, BodyTooLarge } from '../../server/body.js';
import { authorizationQueryParametersError, expiredPresigned, malformedXml } from './errors.js';
import { esc, parseXml, xmlDoc, type XmlNode } from './xml.js';
import { corsHeaders, matchRule } from './cors.js';
import type { S3Data } from './data.js';

const VHOST = /^([a-z0-9][a-z0-9.-]*[a-z0-9])\.s3(?:[.-][a-z0-9-]+)?\.localhost(?::\d+)?$/i;

export interface S3Request {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly method: string;
  readonly requestId: string;
  readonly hostId: string;
  readonly region: string;
  readonly accountId: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly query: URLSearchParams;
  readonly sourceIp: string;
  /** Who the request is verified as (undefined: anonymous). */
  caller: Caller | undefined;
  /** Set by handlers that have consumed the body, so that errors do not drain it again. */
  bodyRead: boolean;
  header(name: string): string | undefined;
  /** Reads a small (configuration) body. */
  body(limit?: number): Promise<Buffer>;
  /** Parses an XML body; MalformedXML when it is missing or broken and `required`. */
  xml(required?: boolean): Promise<{ root: string; value: Record<string, unknown> } | undefined>;
}

export type S3Handler = (r: S3Request) => Promise<void>;

function decodeKey(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Which bucket and key a request names: virtual-host style first, else the path's first segment. */
export function locate(host: string, rawPath: string): { bucket?: string; key?: string } {
  const m = VHOST.exec(host);
  if (m) {
    const key = rawPath.slice(1);
    return { bucket: m[1]!.toLowerCase(), key: key === '' ? undefined : decodeKey(key) };
  }
  const rest = rawPath.slice(1);
  if (rest === '') return {};
  const slash = rest.indexOf('/');
  if (slash < 0) return { bucket: decodeKey(rest) };
  const key = rest.slice(slash + 1);
  return { bucket: decodeKey(rest.slice(0, slash)), key: key === '' ? undefined : decodeKey(key) };
}

export function isS3Request(req: IncomingMessage, url: URL, knownBucket: (b: string) => boolean): boolean {
  if (VHOST.test(req.headers.host ?? '')) return true;
  const scope = credentialScope(req.headers, url.searchParams);
  if (scope) return scope.service === 's3';
  // A browser's CORS preflight carries no signature: S3's when it names a bucket this node knows.
  if (req.method === 'OPTIONS' && req.headers.origin !== undefined) {
    const b = locate(req.headers.host ?? '', url.pathname).bucket;
    return b !== undefined && knownBucket(b);
  }
  return false;
}

export function hostId(): string {
  return randomBytes(48).toString('base64');
}

/** Sends an answer; `body` a string/Buffer or a stream piped out (an empty body for HEAD). */
export async function send(r: S3Request, status: number, headers: Record<string, string>, body?: string | Buffer | Readable): Promise<void> {
  const res = r.res;
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
    const buf = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
    if (!res.hasHeader('content-length')) res.setHeader('content-length', String(buf?.length ?? 0));
    res.end(r.method === 'HEAD' ? undefined : buf);
    return;
  }
  if (r.method === 'HEAD') {
    body.destroy();
    res.end();
    return;
  }
  await pipeline(body, res);
}

export function sendXml(r: S3Request, root: string, node: XmlNode, headers: Record<string, string> = {}, status = 200): Promise<void> {
  return send(r, status, { 'content-type': 'application/xml', ...headers }, xmlDoc(root, node));
}

export function errorXml(e: AwsError, resource: string | undefined, requestId: string, hostId: string): string {
  let extra = '';
  for (const [k, v] of Object.entries(e.fields)) if (v !== undefined && v !== null) extra += `<${k}>${esc(String(v))}</${k}>`;
  if (resource !== undefined && !('Key' in e.fields) && !('BucketName' in e.fields)) extra += `<Resource>${esc(resource)}</Resource>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${esc(e.code)}</Code><Message>${esc(e.message)}</Message>${extra}<RequestId>${requestId}</RequestId><HostId>${esc(hostId)}</HostId></Error>`;
}

function sendError(r: S3Request, e: AwsError): void {
  const res = r.res;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = r.method === 'HEAD' ? undefined : Buffer.from(errorXml(e, undefined, r.requestId, r.hostId));
  res.statusCode = e.status;
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  res.setHeader('content-type', 'application/xml');
  res.setHeader('content-length', String(body?.length ?? 0));
  // A body not (fully) read: a small one is drained; a large one (refused before reading, e.g. EntityTooLarge) is not,
  // the connection ends with the answer.
  if (!r.req.readableEnded) {
    if (Number(r.req.headers['content-length'] ?? 0) <= 1024 * 1024) r.req.resume();
    else {
      res.setHeader('connection', 'close');
      res.once('finish', () => r.req.socket.destroySoon());
    }
  }
  res.end(body);
}

function checkPresigned(q: URLSearchParams, now: number): void {
  const date = q.get('X-Amz-Date');
  const expires = q.get('X-Amz-Expires');
  if (date === null || expires === null || q.get('X-Amz-Algorithm') === null) return;
  const secs = Number(expires);
  if (!/^\d+$/.test(expires)) throw authorizationQueryParametersError('X-Amz-Expires should be a number');
  if (secs > 604800) throw authorizationQueryParametersError('X-Amz-Expires must be less than a week (in seconds) that is 604800');
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m) throw authorizationQueryParametersError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  const signed = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (now > signed + secs * 1000) {
    throw expiredPresigned(new Date(signed + secs * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'), new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  }
}

/** A declared hex x-amz-content-sha256 must be the body's (streamed uploads check it in upload.ts). */
export function checkContentSha(req: IncomingMessage, body: Buffer): void {
  const declared = req.headers['x-amz-content-sha256'];
  if (typeof declared !== 'string' || !/^[0-9a-f]{64}$/i.test(declared)) return;
  const computed = createHash('sha256').update(body).digest('hex');
  if (computed !== declared.toLowerCase()) throw contentShaMismatch(declared, computed);
}

export interface DoorDeps {
  data: S3Data;
  accountId: string;
  defaultRegion: string;
  now: () => number;
  dispatch: (r: S3Request) => Promise<void>;
  onInternalError: (e: unknown, where: string) => void;
}

export function s3Door(d: DoorDeps): RawRoute {
  return {
    name: 's3',
    claims: (req, url) => isS3Request(req, url, (b) => d.data.findBucket(b) !== undefined),
    handle: async (req, res, url, auth) => {
      const requestId = randomBytes(8).toString('hex').toUpperCase();
      const loc = locate(req.headers.host ?? '', url.pathname);
      const scope = credentialScope(req.headers, url.searchParams);
      const r: S3Request = {
        req,
        res,
        url,
        method: req.method ?? 'GET',
        requestId,
        hostId: hostId(),
        region: scope?.region ?? d.defaultRegion,
        accountId: d.accountId,
        bucket: loc.bucket,
        key: loc.key,
        query: url.searchParams,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        caller: undefined,
        bodyRead: false,
        header: (n) => {
          const v = req.headers[n.toLowerCase()];
          return Array.isArray(v) ? v.join(',') : v;
        },
        body: async (limit = 1024 * 1024) => {
          r.bodyRead = true;
          try {
            const b = await readBody(req, limit);
            checkContentSha(req, b);
            return b;
          } catch (e) {
            if (e instanceof BodyTooLarge) throw malformedXml();
            throw e;
          }
        },
        xml: async (required = true) => {
          const parsed = parseXml(await r.body());
          if (!parsed && required) throw malformedXml();
          return parsed;
        },
      };
      res.setHeader('x-amz-request-id', requestId);
      res.setHeader('x-amz-id-2', r.hostId);
      res.setHeader('server', 'AmazonS3');
      try {
        checkPresigned(url.searchParams, d.now());
        // A browser's CORS preflight carries no signature, on AWS as here.
        r.caller = await auth.caller(req, { family: 's3', s3: true, service: 's3', operation: r.method, region: r.region, anonymousAllowed: r.method === 'OPTIONS' });
        if (r.bucket !== undefined && req.headers.origin !== undefined && r.method !== 'OPTIONS') {
          // CORS headers on actual requests that a rule of the bucket allows.
          const rules = d.data.findBucket(r.bucket)?.config.cors;
          const rule = rules && matchRule(rules, String(req.headers.origin), r.method, []);
          if (rule) for (const [k, v] of Object.entries(corsHeaders(rule, String(req.headers.origin), r.method))) res.setHeader(k, v);
        }
        await d.dispatch(r);
      } catch (e) {
        sendError(r, toAwsError(e, (x) => d.onInternalError(x, `S3 ${r.method} ${url.pathname}`)));
      }
    },
  };
}
