// Maps what a function returned to the HTTP answer each front door gives, as AWS does: payload 2.0 inference
// (function URLs, HTTP APIs), payload 1.0 (REST APIs, multiValueHeaders) and ALB responses; plus AWS's error bodies.
import type { ServerResponse } from 'node:http';

export interface HttpAnswer {
  status: number;
  /** Header pairs; repeated names (Set-Cookie) are kept. */
  headers: [string, string][];
  body: Buffer;
  statusMessage?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function parse(payload: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

function bodyOf(o: Obj): Buffer | undefined {
  const b = o['body'];
  if (b === undefined || b === null) return Buffer.alloc(0);
  const text = typeof b === 'string' ? b : JSON.stringify(b);
  return o['isBase64Encoded'] === true ? Buffer.from(text, 'base64') : Buffer.from(text);
}

function statusOf(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

function addHeaders(out: [string, string][], h: unknown): void {
  if (!isObj(h)) return;
  for (const [k, v] of Object.entries(h)) if (v !== null && v !== undefined) out.push([k, String(v)]);
}

function addMulti(out: [string, string][], h: unknown): void {
  if (!isObj(h)) return;
  for (const [k, vs] of Object.entries(h)) if (Array.isArray(vs)) for (const v of vs) out.push([k, String(v)]);
}

/** Payload 2.0: an object with statusCode is a response; any other JSON is a 200 application/json body. */
export function mapV2(payload: Buffer): HttpAnswer | undefined {
  const p = parse(payload);
  if (!p.ok) return undefined;
  const v = p.value;
  if (isObj(v) && 'statusCode' in v) {
    const status = statusOf(v['statusCode']);
    if (status === undefined) return undefined;
    const headers: [string, string][] = [];
    addHeaders(headers, v['headers']);
    if (Array.isArray(v['cookies'])) for (const c of v['cookies']) headers.push(['set-cookie', String(c)]);
    return { status, headers, body: bodyOf(v) ?? Buffer.alloc(0) };
  }
  const body = typeof v === 'string' ? Buffer.from(v) : payload;
  return { status: 200, headers: [['content-type', 'application/json']], body };
}

/** Payload 1.0: the function must return `{statusCode, headers?, multiValueHeaders?, body?, isBase64Encoded?}`. */
export function mapV1(payload: Buffer): HttpAnswer | undefined {
  const p = parse(payload);
  if (!p.ok || !isObj(p.value)) return undefined;
  const v = p.value;
  const status = statusOf(v['statusCode']);
  if (status === undefined) return undefined;
  if (v['body'] !== undefined && v['body'] !== null && typeof v['body'] !== 'string') return undefined;
  const headers: [string, string][] = [];
  addMulti(headers, v['multiValueHeaders']);
  const multi = new Set(headers.map(([k]) => k.toLowerCase()));
  if (isObj(v['headers'])) for (const [k, x] of Object.entries(v['headers'])) if (!multi.has(k.toLowerCase()) && x !== null) headers.push([k, String(x)]);
  return { status, headers, body: bodyOf(v) ?? Buffer.alloc(0) };
}

/** ALB: statusCode (+ statusDescription), headers or multiValueHeaders (as the target group is set), body. */
export function mapAlb(payload: Buffer, multiValue: boolean): HttpAnswer | undefined {
  const p = parse(payload);
  if (!p.ok || !isObj(p.value)) return undefined;
  const v = p.value;
  const status = statusOf(v['statusCode']);
  if (status === undefined) return undefined;
  const headers: [string, string][] = [];
  if (multiValue) addMulti(headers, v['multiValueHeaders']);
  else addHeaders(headers, v['headers']);
  const desc = typeof v['statusDescription'] === 'string' ? v['statusDescription'].replace(/^\d+\s*/, '') : undefined;
  return { status, headers, body: bodyOf(v) ?? Buffer.alloc(0), ...(desc ? { statusMessage: desc } : {}) };
}

export const jsonAnswer = (status: number, body: unknown, extra: [string, string][] = []): HttpAnswer => ({
  status,
  headers: [['content-type', 'application/json'], ...extra],
  body: Buffer.from(JSON.stringify(body)),
});

/** ALB's own error pages are HTML. */
export const albError = (status: number, text: string): HttpAnswer => ({
  status,
  headers: [['content-type', 'text/html']],
  body: Buffer.from(`<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n</body>\r\n</html>\r\n`),
});

/** Writes an answer; repeated header names go out as repeated header lines. */
export function send(res: ServerResponse, a: HttpAnswer, extra: [string, string][] = []): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of [...a.headers, ...extra]) {
    const n = k.toLowerCase();
    if (n === 'content-length' || n === 'transfer-encoding' || n === 'connection') continue;
    const cur = headers[n];
    headers[n] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
  }
  headers['content-length'] = String(a.body.length);
  if (a.statusMessage) res.writeHead(a.status, a.statusMessage, headers);
  else res.writeHead(a.status, headers);
  res.end(a.body);
}
