// The Runtime API (2018-06-01) for ONE environment: its own listener, so no environment can reach another's.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';

export const MAX_RUNTIME_PAYLOAD = 6 * 1024 * 1024 + 100;

/** What the environment answers behind the API; it owns the state machine, this file only speaks HTTP. */
export interface RuntimeApiTarget {
  /** Pre-start hand-over: resolves with the environment to adopt. */
  assignment(res: ServerResponse): void;
  next(res: ServerResponse): void;
  /** `thenNext`: selfless's own runtimes ask for the next invocation in the same exchange (one round trip less). */
  response(requestId: string, req: IncomingMessage, res: ServerResponse, thenNext: boolean): void;
  /** `fatal`: the runtime says it exits after this error (selfless's own runtimes), so the environment is not reused. */
  error(requestId: string, errorType: string | undefined, body: Buffer, res: ServerResponse, fatal: boolean): void;
  initError(errorType: string | undefined, body: Buffer, res: ServerResponse): void;
  /** Each request for the next invocation says whether the runtime left anything running (timers, sockets, children). */
  idle(quiet: boolean): void;
  /** The Extensions and Telemetry APIs on the same address (runtime-api/extensions.ts); false: not theirs. */
  extensionRequest?(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export const accepted = (res: ServerResponse): void => reply(res, 202, { status: 'OK' });

function readAll(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const PREFIX = '/2018-06-01/runtime/';
/** Sent by selfless's own runtimes when they have nothing left that could run while idle (see sandbox/freezer.ts). */
export const QUIET = 'lambda-runtime-selfless-quiet';

/** Decides whether a new connection may speak to this Runtime API (the sandbox admits only its own environment). */
export type ConnectionGuard = (peerPort: number, ourPort: number, peerAddress: string) => boolean | Promise<boolean>;

export class RuntimeApiServer {
  private readonly server: Server;
  /** With a guard, connections are accepted here and handed to the HTTP server only once admitted. */
  private gate: NetServer | undefined;

  constructor(
    private readonly target: RuntimeApiTarget,
    private readonly guard?: ConnectionGuard,
  ) {
    this.server = createServer({ keepAliveTimeout: 0, requestTimeout: 0, headersTimeout: 0 }, (req, res) => {
      this.route(req, res).catch(() => {
        if (!res.headersSent) reply(res, 500, { errorMessage: 'Internal error', errorType: 'ServiceError' });
      });
    });
  }

  listen(host = '127.0.0.1'): Promise<number> {
    const guard = this.guard;
    const listener: NetServer | Server = guard
      ? (this.gate = createNetServer({ pauseOnConnect: true, noDelay: true }, (sock) => this.admit(sock, guard)))
      : this.server;
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(0, host, () => resolve((listener.address() as AddressInfo).port));
    });
  }

  private admit(sock: Socket, guard: ConnectionGuard): void {
    sock.on('error', () => undefined);
    const pass = (ok: boolean): void => {
      if (!ok || sock.destroyed) {
        sock.destroy();
        return;
      }
      this.server.emit('connection', sock);
      sock.resume();
    };
    try {
      const r = guard(sock.remotePort ?? 0, sock.localPort ?? 0, sock.remoteAddress ?? '');
      if (typeof r === 'boolean') pass(r);
      else r.then(pass, () => sock.destroy());
    } catch {
      sock.destroy();
    }
  }

  /** Serves a connection that arrived by another way (already trusted: e.g. a unix socket only one sandbox reaches). */
  adopt(sock: Socket): void {
    this.server.emit('connection', sock);
  }

  close(): void {
    this.gate?.close();
    this.server.close();
    this.server.closeAllConnections();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/2018-06-01/selfless/assignment') return this.target.assignment(res);
    const chained = /^\/2018-06-01\/selfless\/invocation\/([^/]+)\/response-then-next$/.exec(url);
    if (req.method === 'POST' && chained) {
      this.target.idle(req.headers[QUIET] === '1');
      return this.target.response(decodeURIComponent(chained[1]!), req, res, true);
    }
    if (!url.startsWith(PREFIX)) {
      if (this.target.extensionRequest && (await this.target.extensionRequest(req, res))) return;
      req.resume();
      return reply(res, 404, { errorMessage: 'Not found', errorType: 'NotFound' });
    }
    const rest = url.slice(PREFIX.length);
    if (req.method === 'GET' && rest === 'invocation/next') {
      this.target.idle(req.headers[QUIET] === '1');
      return this.target.next(res);
    }
    const errorType = req.headers['lambda-runtime-function-error-type'] as string | undefined;
    if (req.method === 'POST' && rest === 'init/error') {
      const body = await readAll(req, MAX_RUNTIME_PAYLOAD);
      return this.target.initError(errorType, body ?? Buffer.alloc(0), res);
    }
    const m = /^invocation\/([^/]+)\/(response|error)$/.exec(rest);
    if (req.method === 'POST' && m) {
      const id = decodeURIComponent(m[1]!);
      if (m[2] === 'response') return this.target.response(id, req, res, false);
      const body = await readAll(req, MAX_RUNTIME_PAYLOAD);
      return this.target.error(id, errorType, body ?? Buffer.alloc(0), res, req.headers['lambda-runtime-selfless-fatal'] === '1');
    }
    req.resume();
    reply(res, 404, { errorMessage: 'Not found', errorType: 'NotFound' });
  }
}
