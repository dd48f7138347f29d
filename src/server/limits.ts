// The HTTP listener's limits against slow and idle clients (header, request and body-idle timeouts, keep-alive) and
// the open-file limit the process needs to hold many connections; documented in docs/reliability.md.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { uuid } from '../lib/ids.js';

export interface HttpLimits {
  /** The whole header block must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** The whole request (headers and body) must arrive within this; 0: no bound (the body-idle limit still holds). */
  requestTimeoutMs: number;
  /** A body that stops arriving (no byte for this long while the server waits for it) is cut off with a 408. */
  bodyIdleMs: number;
  /** An idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_LIMITS: HttpLimits = { headersTimeoutMs: 20_000, requestTimeoutMs: 300_000, bodyIdleMs: 30_000, keepAliveTimeoutMs: 65_000 };

/** The limits, each overridable in seconds by SELFLESS_HTTP_{HEADERS,REQUEST,BODY_IDLE,KEEPALIVE}_TIMEOUT_SECONDS. */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): HttpLimits {
  const secs = (name: string, dflt: number): number => {
    const v = env[`SELFLESS_HTTP_${name}_TIMEOUT_SECONDS`];
    const n = v === undefined || v === '' ? NaN : Number(v);
    return Number.isFinite(n) && n >= 0 && n <= 86_400 ? Math.round(n * 1000) : dflt;
  };
  const l: HttpLimits = {
    headersTimeoutMs: secs('HEADERS', DEFAULT_LIMITS.headersTimeoutMs),
    requestTimeoutMs: secs('REQUEST', DEFAULT_LIMITS.requestTimeoutMs),
    bodyIdleMs: secs('BODY_IDLE', DEFAULT_LIMITS.bodyIdleMs),
    keepAliveTimeoutMs: secs('KEEPALIVE', DEFAULT_LIMITS.keepAliveTimeoutMs),
  };
  // Node refuses a headers timeout above a (non-zero) request timeout.
  if (l.requestTimeoutMs > 0 && l.headersTimeoutMs > l.requestTimeoutMs) l.headersTimeoutMs = l.requestTimeoutMs;
  if (l.headersTimeoutMs === 0) l.headersTimeoutMs = DEFAULT_LIMITS.headersTimeoutMs;
  return l;
}

const IDLE_BODY = JSON.stringify({
  __type: 'RequestTimeout',
  message: 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.',
});

/**
 * Cuts off a request whose body stops arriving: no byte read from the connection for `idleMs` while nothing the
 * client sent waits unread on the server's side (a handler slow to read is not the client's fault). Polls the
 * socket's byte count, so that no listener changes how the body flows; HTTP/1 only (an h2 stream has its own flow
 * control and the session's timeouts).
 */
export function watchBody(req: IncomingMessage, res: ServerResponse, idleMs: number): void {
  if (idleMs <= 0 || req.complete || req.httpVersionMajor !== 1) return;
  const socket = req.socket;
  let seen = socket.bytesRead;
  let quietSince = Date.now();
  const timer = setInterval(
    () => {
      if (req.complete || socket.destroyed || res.writableFinished) {
        clearInterval(timer);
        return;
      }
      const now = Date.now();
      if (socket.bytesRead !== seen || req.readableLength > 0 || socket.isPaused()) {
        seen = socket.bytesRead;
        quietSince = now;
        return;
      }
      if (now - quietSince < idleMs) return;
      clearInterval(timer);
      if (res.headersSent) {
        socket.destroy();
        return;
      }
      res.shouldKeepAlive = false;
      res.writeHead(408, { 'x-amzn-RequestId': uuid(), 'x-amzn-ErrorType': 'RequestTimeout', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(IDLE_BODY)), connection: 'close' });
      res.end(IDLE_BODY, () => socket.destroySoon());
      // A client that does not read the answer either is not waited for.
      setTimeout(() => socket.destroy(), 2000).unref();
    },
    Math.max(100, Math.min(5000, Math.floor(idleMs / 4))),
  );
  timer.unref();
  res.once('close', () => clearInterval(timer));
}

/** The soft and hard RLIMIT_NOFILE of this process (Linux's /proc), or undefined elsewhere. */
export function fdLimits(): { soft: number; hard: number } | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const m = line && /Max open files\s+(\S+)\s+(\S+)/.exec(line);
    if (!m) return undefined;
    const n = (s: string): number => (s === 'unlimited' ? Infinity : Number(s));
    return { soft: n(m[1]!), hard: n(m[2]!) };
  } catch {
    return undefined;
  }
}

/**
 * Raises the soft open-file limit towards `want` (at most the hard limit) with util-linux's prlimit, since Node has no
 * setrlimit; returns the limit in force afterwards, and a warning when it stays below `want`.
 */
export function raiseFdLimit(want = 65_536): { soft: number | undefined; warning?: string } {
  const before = fdLimits();
  if (!before || before.soft >= want) return { soft: before?.soft };
  const target = Math.min(want, before.hard);
  if (target > before.soft) {
    try {
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${target}:${Number.isFinite(before.hard) ? before.hard : 'unlimited'}`], { stdio: 'ignore', timeout: 5000 });
    } catch {
      /* prlimit absent or not allowed: the warning below says what to do */
    }
  }
  const after = fdLimits();
  const soft = after?.soft ?? before.soft;
  if (soft < 4096) {
    return { soft, warning: `selfless: the open-file limit is ${soft} (hard ${before.hard}); each connection and environment takes file descriptors, raise it with \`ulimit -n 65536\` before starting` };
  }
  return { soft };
}
