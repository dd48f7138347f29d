// The one HTTP listener: protocol dispatch (raw front doors, X-Amz-Target JSON, rest-json by path, query form),
// SigV4 verification and the authorization hook before any handler runs, region from the SigV4 scope, request ids,
// body limits, and AWS-shaped errors; HTTP/1.1 and h2c on one port. It knows no service's logic.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsError, toAwsError } from '../lib/errors.js';
import { uuid } from '../lib/ids.js';
import { BodyTooLarge, readBody } from './body.js';
import { onClientError } from './client-error.js';
import { DEFAULT_LIMITS, watchBody, type HttpLimits } from './limits.js';
import { RestRouter } from './router.js';
import { jsonModel, restModel } from './shapes/index.js';
import { credentialScope } from './sigv4.js';
import { allowAll, type AuthMode, type Authorizer, type Caller, type CredentialSource } from './auth.js';
import { authError, type AuthFamily } from './auth-errors.js';
import { AuthFailure, Authenticator } from './sigv4-verify.js';
import { DualProtocolListener } from './h2c.js';
import { validateBody, type ValidationPolicy } from './validate.js';
import type { ApiRequest, ApiResponse, DoorAuth, DoorAuthOptions, JsonService, RawRoute, ServiceRoutes } from './types.js';
import { sendBody, sendError, type Protocol } from './wire.js';

export interface HttpServerOptions {
  accountId: string;
  defaultRegion: string;
  services: ServiceRoutes[];
  /** Reports unexpected (non-AWS) errors; they reach the client as a 500 ServiceException. */
  onInternalError: (e: unknown, where: string) => void;
  auth: {
    mode: AuthMode;
    /** Who signs: the root key first, then IAM's access keys and STS's sessions (the composition root's order). */
    credentials: CredentialSource;
    /** Enforce mode's authorization hook (default: allow). */
    authorizer?: Authorizer;
    now?: () => number;
  };
  /** Timeouts against slow and idle clients (default: DEFAULT_LIMITS). */
  limits?: HttpLimits;
}

const DEFAULT_MAX_BODY = 8 * 1024 * 1024;
const JSON_TYPES: Record<string, string> = { '1.0': 'application/x-amz-json-1.0', '1.1': 'application/x-amz-json-1.1' };

/** The edge check of an operation's body against its model, or undefined when the model does not know it. */
function modelCheck(model: ReturnType<typeof jsonModel>, op: string, protocol: 'json' | 'rest', policy: ValidationPolicy | undefined): ((b: Buffer) => Buffer) | undefined {
  if (!model?.ops[op]) return undefined;
  return (b) => validateBody(model, op, b, protocol, policy) ?? b;
}

/** A JSON or rest-json request's members for the authorization table: path params, then query, then body members. */
function requestMembers(params: Record<string, string>, query: URLSearchParams, body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
  } catch {
    parsed = undefined;
  }
  const members = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  return { ...members, ...Object.fromEntries(query), ...params };
}

export class HttpServer {
  private readonly server: Server;
  private readonly listener: DualProtocolListener;
  private readonly router = new RestRouter();
  private readonly json = new Map<string, JsonService>();
  private readonly raw: RawRoute[] = [];
  private readonly query: NonNullable<ServiceRoutes['query']> = [];
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private readonly authn: Authenticator;
  private readonly authorizer: Authorizer;
  private readonly doorAuth: DoorAuth;

  constructor(private readonly opts: HttpServerOptions) {
    this.authn = new Authenticator({ mode: opts.auth.mode, accountId: opts.accountId, credentials: opts.auth.credentials, now: opts.auth.now ?? Date.now });
    this.authorizer = opts.auth.authorizer ?? allowAll;
    this.doorAuth = { caller: (req, o) => this.callerOf(req, o) };
    for (const s of opts.services) {
      s.rest?.forEach((r) => this.router.add(r, s.restModel));
      s.json?.forEach((j) => this.json.set(j.targetPrefix, j));
      s.raw?.forEach((r) => this.raw.push(r));
      s.query?.forEach((q) => this.query.push(q));
    }
    // requireHostHeader off: a request without Host is served (as 127.0.0.1) rather than answered with an empty 400.
    const limits = opts.limits ?? DEFAULT_LIMITS;
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      watchBody(req, res, limits.bodyIdleMs);
      this.inFlight++;
      res.once('close', () => {
        if (--this.inFlight === 0) this.drained?.();
      });
      this.handle(req, res).catch((e) => {
        this.opts.onInternalError(e, 'dispatch');
        if (!res.headersSent) sendError(res, new AwsError('ServiceException', 'An internal error occurred.'), 'rest', uuid());
        else res.destroy();
      });
    };
    // Node checks the header and request timeouts every connectionsCheckingInterval (30 s by default): often enough
    // here that a limit is a limit.
    this.server = createServer(
      {
        keepAliveTimeout: limits.keepAliveTimeoutMs,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        connectionsCheckingInterval: Math.max(250, Math.min(5000, Math.floor(limits.headersTimeoutMs / 4))),
        requireHostHeader: false,
      },
      onRequest,
    );
    this.server.on('clientError', onClientError);
    this.listener = new DualProtocolListener(this.server, onRequest, limits.headersTimeoutMs);
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      const net = this.listener.net;
      net.once('error', onError);
      net.listen(port, host, () => {
        net.off('error', onError);
        resolve(net.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting connections and resolves once in-flight requests have finished (or after graceMs). */
  async close(graceMs = 10_000): Promise<void> {
    const closed = new Promise<void>((r) => this.listener.net.close(() => r()));
    this.server.close();
    this.listener.closeSessions();
    if (this.inFlight > 0) {
      await Promise.race([new Promise<void>((r) => (this.drained = r)), new Promise((r) => setTimeout(r, graceMs).unref())]);
    }
    this.listener.destroyAll();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = uuid();
    const host = req.headers.host ?? '127.0.0.1';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${host}`);
    } catch {
      url = new URL('http://127.0.0.1/');
    }
    for (const r of this.raw) {
      if (r.claims(req, url)) return r.handle(req, res, url, this.doorAuth);
    }
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') return this.handleJson(req, res, url, requestId, target);

    const match = this.router.match(req.method ?? 'GET', url.pathname, url.searchParams);
    if ('route' in match) {
      const { route, params, model } = match;
      const check = route.validation === false || !model ? undefined : modelCheck(restModel(model, route.op), route.op, 'rest', route.validation);
      return this.run(req, res, url, requestId, 'rest', undefined, params, route.maxBody ?? DEFAULT_MAX_BODY, route.tooLarge, route.handler, route.op, check);
    }
    const ct = String(req.headers['content-type'] ?? '');
    if (req.method === 'POST' && ct.startsWith('application/x-www-form-urlencoded') && this.query.length > 0) {
      return this.handleQuery(req, res, url, requestId);
    }
    const err = match.methodMismatch
      ? new AwsError('MethodNotAllowed', `The ${req.method} method is not allowed for ${url.pathname}`, { status: 405 })
      : new AwsError('UnknownOperationException', `Unknown operation: ${req.method} ${url.pathname}`, { status: 404 });
    req.resume();
    sendError(res, err, 'rest', requestId);
  }

  private handleJson(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string, target: string): Promise<void> {
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot);
    const name = target.slice(dot + 1);
    const svc = this.json.get(prefix);
    const op = svc && Object.prototype.hasOwnProperty.call(svc.ops, name) ? svc.ops[name] : undefined;
    if (!svc || !op) {
      req.resume();
      sendError(res, new AwsError('UnknownOperationException', `Unknown operation ${target}`), 'json', requestId, svc?.errorNamespace);
      return Promise.resolve();
    }
    const check = svc.validation === false ? undefined : modelCheck(jsonModel(prefix), name, 'json', svc.validation);
    return this.run(req, res, url, requestId, 'json', svc, {}, svc.maxBody ?? DEFAULT_MAX_BODY, undefined, op, name, check);
  }

  private async handleQuery(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, DEFAULT_MAX_BODY);
    } catch {
      sendError(res, new AwsError('RequestEntityTooLargeException', 'Request is too large.'), 'query', requestId);
      return;
    }
    const form = new URLSearchParams(body.toString('utf8'));
    let caller: Caller;
    try {
      caller = await this.verified(req, body, 'query', form.get('Action') ?? '', () => Object.fromEntries(form));
    } catch (e) {
      sendError(res, toAwsError(e, (x) => this.opts.onInternalError(x, 'authenticating a query request')), 'query', requestId);
      return;
    }
    const q = this.query.find((h) => h.matches(form, req));
    if (!q) {
      sendError(res, new AwsError('InvalidAction', `The action ${form.get('Action') ?? ''} is not valid for this endpoint.`), 'query', requestId);
      return;
    }
    const api = this.apiRequest(req, res, url, requestId, {}, body, caller);
    try {
      const out = await q.handle(api, form);
      await this.respond(res, out, requestId, 'text/xml');
    } catch (e) {
      sendError(res, toAwsError(e, (x) => this.opts.onInternalError(x, `query ${form.get('Action')}`)), 'query', requestId);
    }
  }

  private async run(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    requestId: string,
    protocol: Protocol,
    svc: JsonService | undefined,
    params: Record<string, string>,
    maxBody: number,
    tooLarge: ((limit: number) => AwsError) | undefined,
    handler: (r: ApiRequest) => Promise<ApiResponse>,
    operation: string,
    check?: (body: Buffer) => Buffer,
  ): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, maxBody);
    } catch (e) {
      const err =
        e instanceof BodyTooLarge
          ? (tooLarge?.(e.limit) ?? new AwsError('RequestEntityTooLargeException', `Request must be smaller than ${e.limit} bytes.`))
          : new AwsError('InvalidRequestContentException', 'Could not read the request body.');
      sendError(res, err, protocol, requestId, svc?.errorNamespace);
      return;
    }
    let caller: Caller;
    try {
      // Verified before validation and before the handler: a refused request leaves nothing half-done.
      caller = await this.verified(req, body, 'json', operation, () => requestMembers(params, url.searchParams, body));
      if (check) body = check(body);
    } catch (e) {
      sendError(res, toAwsError(e, (x) => this.opts.onInternalError(x, `validating ${req.method} ${url.pathname}`)), protocol, requestId, svc?.errorNamespace);
      return;
    }
    const api = this.apiRequest(req, res, url, requestId, params, body, caller);
    try {
      const out = await handler(api);
      await this.respond(res, out, requestId, svc ? (JSON_TYPES['1.0'] as string) : 'application/json');
    } catch (e) {
      sendError(res, toAwsError(e, (x) => this.opts.onInternalError(x, `${req.method} ${url.pathname}`)), protocol, requestId, svc?.errorNamespace);
    }
  }

  /** The caller of an API request whose body is read, or the protocol's AwsError; authorized in enforce mode. */
  private async verified(req: IncomingMessage, body: Buffer, family: AuthFamily, operation: string, input: () => Readonly<Record<string, unknown>>): Promise<Caller> {
    const scope = credentialScope(req.headers, new URLSearchParams((req.url ?? '').split('?')[1] ?? ''));
    const caller = await this.callerOf(req, { family, body, service: scope?.service ?? '', operation, region: scope?.region ?? this.opts.defaultRegion, input });
    // Only a door that allows anonymous requests gets none.
    return caller ?? this.authn.root;
  }

  /** The one authentication of the house (API requests and raw doors alike), then enforce mode's authorization. */
  private async callerOf(req: IncomingMessage, o: DoorAuthOptions): Promise<Caller | undefined> {
    let caller: Caller | undefined;
    try {
      caller = await this.authn.verify({ req, s3: o.s3 === true, body: o.body, anonymousAllowed: o.anonymousAllowed });
    } catch (e) {
      if (e instanceof AuthFailure) throw authError(e, o.family);
      throw e;
    }
    // Both modes ask the authorizer: dev mode's only logs what enforce mode would refuse.
    if (caller) {
      const verdict = await this.authorizer.authorize(caller, {
        service: o.service,
        operation: o.operation,
        region: o.region,
        accountId: this.opts.accountId,
        family: o.family,
        input: o.input ?? (() => ({})),
        s3: o.s3Request,
      });
      if (verdict !== 'allow') throw verdict;
    }
    return caller;
  }

  private apiRequest(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string, params: Record<string, string>, body: Buffer, caller: Caller): ApiRequest {
    const scope = credentialScope(req.headers, url.searchParams);
    let ac: AbortController | undefined;
    return {
      requestId,
      caller,
      region: scope?.region ?? this.opts.defaultRegion,
      accountId: this.opts.accountId,
      method: req.method ?? 'GET',
      path: url.pathname,
      params,
      query: url.searchParams,
      headers: req.headers,
      body,
      baseUrl: `http://${req.headers.host ?? '127.0.0.1'}`,
      // Made on first use (long polls): aborted when the client goes away before the response is complete.
      get signal() {
        if (!ac) {
          const c = (ac = new AbortController());
          res.once('close', () => {
            if (!res.writableFinished) c.abort();
          });
        }
        return ac.signal;
      },
      header: (n) => {
        const v = req.headers[n.toLowerCase()];
        return Array.isArray(v) ? v.join(',') : v;
      },
    };
  }

  private async respond(res: ServerResponse, out: ApiResponse, requestId: string, jsonType: string): Promise<void> {
    const headers: Record<string, string> = { 'x-amzn-RequestId': requestId, ...out.headers };
    if (out.stream) {
      await out.stream(res);
      return;
    }
    sendBody(res, out.status ?? 200, headers, out.body, jsonType);
  }
}
