// One HTTP request as every front door sees it: raw header pairs, path and query, body, caller and timing.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface HttpRequestInfo {
  method: string;
  /** The path as the client sent it (percent-encoding kept), without any front-door prefix. */
  rawPath: string;
  /** The query string without `?`. */
  rawQuery: string;
  /** Header pairs in arrival order, names as sent. */
  headerPairs: [string, string][];
  body: Buffer;
  sourceIp: string;
  userAgent: string;
  protocol: string;
  requestId: string;
  timeEpoch: number;
}

export function requestInfo(req: IncomingMessage, url: URL, rawPath: string, body: Buffer, requestId: string, now: number): HttpRequestInfo {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  addForwarded(pairs, sourceIp, String(req.socket.localPort ?? 80), now);
  return {
    method: req.method ?? 'GET',
    rawPath,
    rawQuery: q >= 0 ? raw.slice(q + 1) : url.search.slice(1),
    headerPairs: pairs,
    body,
    sourceIp,
    userAgent: String(req.headers['user-agent'] ?? ''),
    protocol: `HTTP/${req.httpVersion}`,
    requestId,
    timeEpoch: now,
  };
}

/** The headers AWS's front ends add on the way to the function: X-Forwarded-For/-Port/-Proto and a trace id. */
function addForwarded(pairs: [string, string][], sourceIp: string, port: string, now: number): void {
  const at = pairs.findIndex(([k]) => k.toLowerCase() === 'x-forwarded-for');
  if (at >= 0) pairs[at] = [pairs[at]![0], `${pairs[at]![1]}, ${sourceIp}`];
  else pairs.push(['X-Forwarded-For', sourceIp]);
  const has = (n: string): boolean => pairs.some(([k]) => k.toLowerCase() === n);
  if (!has('x-forwarded-port')) pairs.push(['X-Forwarded-Port', port]);
  if (!has('x-forwarded-proto')) pairs.push(['X-Forwarded-Proto', 'http']);
  if (!has('x-amzn-trace-id')) pairs.push(['X-Amzn-Trace-Id', `Root=1-${Math.floor(now / 1000).toString(16)}-${randomBytes(12).toString('hex')}`]);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** `12/Mar/2020:19:03:58 +0000`, as API Gateway and function URLs write request times. */
export function clfTime(ms: number): string {
  const d = new Date(ms);
  return `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

/** Content types whose bodies travel as text; everything else is base64 with isBase64Encoded. */
export function isTextBody(contentType: string | undefined, body: Buffer): boolean {
  if (body.length === 0) return true;
  if (contentType === undefined || contentType === '') return isUtf8(body);
  const t = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    t.startsWith('text/') ||
    t === 'application/json' ||
    t.endsWith('+json') ||
    t === 'application/xml' ||
    t.endsWith('+xml') ||
    t === 'application/javascript'
  );
}

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

export function headerValue(pairs: [string, string][], name: string): string | undefined {
  const n = name.toLowerCase();
  let v: string | undefined;
  for (const [k, x] of pairs) if (k.toLowerCase() === n) v = v === undefined ? x : `${v},${x}`;
  return v;
}

/** Splits a query string into ordered (name, value) pairs; `decode` false keeps ALB's raw encoding. */
export function queryPairs(raw: string, decode: boolean): [string, string][] {
  if (raw === '') return [];
  const dec = (s: string): string => {
    if (!decode) return s;
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return raw
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      return i < 0 ? [dec(p), ''] : [dec(p.slice(0, i)), dec(p.slice(i + 1))];
    });
}

/**
 * Finds a front door's id and the path the function sees, from the host name (`<id>.<suffix>`) or the path form
 * (`<prefix><id>/…`); undefined when the request is not for this door.
 */
export function locateDoor(req: IncomingMessage, url: URL, hostRe: RegExp, pathPrefix: string): { id: string; rawPath: string } | undefined {
  const m = hostRe.exec(req.headers.host ?? '');
  const raw = (req.url ?? '/').split('?')[0]!;
  if (m) return { id: m[1]!.toLowerCase(), rawPath: raw || '/' };
  if (!url.pathname.startsWith(pathPrefix)) return undefined;
  const rest = raw.slice(pathPrefix.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? { id: rest, rawPath: '/' } : { id: rest.slice(0, slash), rawPath: rest.slice(slash) };
}
