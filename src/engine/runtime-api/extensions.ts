// The Extensions API (2020-01-01) and Telemetry API (2022-07-01) routes of an environment's Runtime API address:
// parses and checks each request in AWS's terms, then hands it to the environment's ExtensionHost.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsExtError, type ExtensionHost, type FunctionInfo } from '../extensions/host.js';
import { BUFFERING, TELEMETRY_TYPES, type Buffering, type SubscriptionRequest, type TelemetryType } from '../extensions/telemetry.js';
import { reply } from './server.js';

const MAX_BODY = 1024 * 1024;

export interface ExtensionsTarget {
  readonly extensions: ExtensionHost;
  functionInfo(): FunctionInfo;
  /** Whether the environment is still in its Init phase (subscriptions and registration are for Init). */
  initializing(): boolean;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

function parseJson(buf: Buffer | undefined): unknown {
  if (!buf || buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** True when the request was one of these APIs (answered here); false leaves it to the Runtime API. */
export async function routeExtensions(t: ExtensionsTarget, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = (req.url ?? '/').split('?')[0]!;
  const host = t.extensions;
  const m = req.method;
  if (url === '/2020-01-01/extension/register' && m === 'POST') {
    const body = await readBody(req);
    const parsed = parseJson(body) as { events?: unknown } | undefined;
    if (!parsed || typeof parsed !== 'object') {
      new AwsExtError(403, 'InvalidRequestFormat', 'Request body is not a valid JSON object').send(res);
      return true;
    }
    const accept = (header(req, 'lambda-extension-accept-feature') ?? '').split(',').map((s) => s.trim());
    host.register(header(req, 'lambda-extension-name'), parsed.events ?? [], t.functionInfo(), accept.includes('accountId'), res);
    return true;
  }
  if (url === '/2020-01-01/extension/event/next' && m === 'GET') {
    req.resume();
    host.next(header(req, 'lambda-extension-identifier'), res);
    return true;
  }
  if ((url === '/2020-01-01/extension/init/error' || url === '/2020-01-01/extension/exit/error') && m === 'POST') {
    await readBody(req);
    host.reportError(header(req, 'lambda-extension-identifier'), header(req, 'lambda-extension-function-error-type'), url.endsWith('init/error') ? 'init' : 'exit', res);
    return true;
  }
  if (url === '/2020-01-01/selfless/extensions/registered' && m === 'GET') {
    req.resume();
    host.awaitRegistered(res);
    return true;
  }
  if (url === '/2022-07-01/telemetry' && m === 'PUT') {
    await subscribe(t, req, res, 'telemetry');
    return true;
  }
  if (url === '/2020-08-15/logs' && m === 'PUT') {
    await subscribe(t, req, res, 'logs');
    return true;
  }
  if (url.startsWith('/2020-01-01/extension/') || url.startsWith('/2022-07-01/') || url.startsWith('/2020-08-15/')) {
    req.resume();
    reply(res, 404, { errorMessage: 'Not found', errorType: 'NotFound' });
    return true;
  }
  return false;
}

const validation = (message: string): AwsExtError => new AwsExtError(400, 'ValidationError', message);

/** PUT /2022-07-01/telemetry (and the older /2020-08-15/logs, which takes the same body with its own types). */
async function subscribe(t: ExtensionsTarget, req: IncomingMessage, res: ServerResponse, api: 'telemetry' | 'logs'): Promise<void> {
  const body = await readBody(req);
  const ext = t.extensions.find(header(req, 'lambda-extension-identifier'));
  if (ext instanceof AwsExtError) return ext.send(res);
  if (!ext.external) {
    return new AwsExtError(403, 'Telemetry.SubscribeForbidden', 'Telemetry API subscriptions are not allowed for internal extensions').send(res);
  }
  const parsed = parseJson(body);
  const r = parseSubscription(parsed, api);
  if (r instanceof AwsExtError) return r.send(res);
  t.extensions.telemetry.subscribe(ext.name, r);
  const types = r.types.map((x) => x[0]!.toUpperCase() + x.slice(1));
  const label = api === 'telemetry' ? 'TELEMETRY' : 'LOGS';
  t.extensions.telemetry.emit('platform.telemetrySubscription', { name: ext.name, state: 'Subscribed', types: r.types });
  t.extensions.line(`${label}\tName: ${ext.name}\tState: Subscribed\tTypes: [${types.join(', ')}]`);
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
  res.end('OK');
}

/** Checks a subscription body as AWS does: schema version, an HTTP destination, known types, buffering in range. */
export function parseSubscription(body: unknown, api: 'telemetry' | 'logs'): SubscriptionRequest | AwsExtError {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return validation('Request body is not a valid JSON object');
  const b = body as Record<string, unknown>;
  if (api === 'telemetry') {
    const versions = ['2022-07-01', '2022-12-13', '2025-01-29'];
    if (b['schemaVersion'] !== undefined && !versions.includes(String(b['schemaVersion']))) {
      return validation(`schemaVersion: must be one of the following: ${versions.map((v) => `"${v}"`).join(', ')}`);
    }
  }
  const d = b['destination'] as Record<string, unknown> | undefined;
  if (!d || typeof d !== 'object') return validation('destination: destination is required');
  if (d['protocol'] !== 'HTTP') {
    return validation(d['protocol'] === 'TCP' ? 'destination.protocol: TCP destinations are not supported by selfless; use HTTP' : 'destination.protocol: must be one of the following: "HTTP", "TCP"');
  }
  const uri = d['URI'];
  if (typeof uri !== 'string') return validation('destination.URI: URI is required');
  let parsedUri: URL;
  try {
    parsedUri = new URL(uri);
  } catch {
    return validation(`destination.URI: invalid URI ${uri}`);
  }
  if (parsedUri.protocol !== 'http:') return validation('destination.URI: only the http scheme is supported');
  const types = b['types'];
  const allowed: readonly string[] = TELEMETRY_TYPES;
  if (!Array.isArray(types) || types.length === 0) return validation('types: types must be a non-empty array');
  for (const x of types) if (typeof x !== 'string' || !allowed.includes(x)) return validation(`types: must be one of the following: "platform", "function", "extension"`);
  const buffering = parseBuffering(b['buffering']);
  if (buffering instanceof AwsExtError) return buffering;
  return { uri, types: [...new Set(types as TelemetryType[])], buffering };
}

function parseBuffering(v: unknown): Buffering | AwsExtError {
  const out: Buffering = { maxItems: BUFFERING.maxItems.default, maxBytes: BUFFERING.maxBytes.default, timeoutMs: BUFFERING.timeoutMs.default };
  if (v === undefined || v === null) return out;
  if (typeof v !== 'object' || Array.isArray(v)) return validation('buffering: must be an object');
  const b = v as Record<string, unknown>;
  for (const k of ['maxItems', 'maxBytes', 'timeoutMs'] as const) {
    const x = b[k];
    if (x === undefined) continue;
    const lim = BUFFERING[k];
    if (typeof x !== 'number' || !Number.isInteger(x)) return validation(`buffering.${k}: Invalid type. Expected: integer`);
    if (x < lim.min) return validation(`buffering.${k}: Must be greater than or equal to ${lim.min}`);
    if (x > lim.max) return validation(`buffering.${k}: Must be less than or equal to ${lim.max}`);
    out[k] = x;
  }
  return out;
}
