// HTTP/2 over cleartext (h2c, prior knowledge) beside HTTP/1.1 on one port: the first bytes of a connection tell
// which (an HTTP/2 client opens with "PRI * HTTP/2.0"). Some AWS SDK clients (JavaScript v3's Kinesis, Transcribe
// streaming) speak only HTTP/2 by default, also to an http:// endpoint.
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createH2Server, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';

const PREFACE = Buffer.from('PRI * HTTP/2.0');

/** The socket as a stream whose reads start with what was already read from it (HTTP/2 then runs on the stream). */
function replay(socket: Socket): Duplex {
  const d = new Duplex({
    read: () => socket.resume(),
    write: (chunk: Buffer, _enc, cb) => socket.write(chunk, cb),
    final: (cb) => socket.end(cb),
    destroy: (err, cb) => {
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  socket.removeAllListeners('data');
  const first = socket.read() as Buffer | null;
  if (first) d.push(first);
  socket.on('data', (c: Buffer) => {
    if (!d.push(c)) socket.pause();
  });
  socket.once('end', () => d.push(null));
  socket.once('close', () => d.destroy());
  return d;
}

/** A listener that hands each connection to `http1` or to an HTTP/2 server whose requests go to `onRequest`. */
export class DualProtocolListener {
  readonly net: NetServer;
  private readonly h2;
  private readonly sessions = new Set<Http2Session>();
  /** Connections that have not sent a byte yet. */
  private readonly pending = new Set<Socket>();
  /**
   * Every open connection. The HTTP/1.1 server tracks connections (for closeAllConnections) only when it listens
   * itself, and it never does here: closing must end them.
   */
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly http1: Server,
    onRequest: (req: IncomingMessage, res: ServerResponse) => void,
    /** A connection that sends no byte within this is closed (HTTP/1.1's headersTimeout starts only with its first byte). */
    firstByteTimeoutMs = 20_000,
  ) {
    this.h2 = createH2Server({}, (req: Http2ServerRequest, res: Http2ServerResponse) => {
      // The handlers read the Host header; HTTP/2 carries it as :authority.
      if (req.headers.host === undefined && typeof req.headers[':authority'] === 'string') req.headers.host = req.headers[':authority'];
      onRequest(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    });
    this.h2.on('session', (s: Http2Session) => {
      this.sessions.add(s);
      s.once('close', () => this.sessions.delete(s));
    });
    this.net = createNetServer((socket: Socket) => {
      this.pending.add(socket);
      this.sockets.add(socket);
      socket.once('close', () => {
        this.pending.delete(socket);
        this.sockets.delete(socket);
      });
      const silent = setTimeout(() => socket.destroy(), firstByteTimeoutMs);
      silent.unref();
      socket.once('close', () => clearTimeout(silent));
      socket.once('data', (first: Buffer) => {
        clearTimeout(silent);
        this.pending.delete(socket);
        socket.pause();
        socket.unshift(first);
        // HTTP/1.1's parser reads the unshifted bytes; HTTP/2's reads the socket's native handle, so it gets a stream
        // that replays them (replay()).
        const n = Math.min(first.length, PREFACE.length);
        const h2 = n >= 3 && first.subarray(0, n).equals(PREFACE.subarray(0, n));
        if (h2) this.h2.emit('connection', replay(socket));
        else this.http1.emit('connection', socket);
        socket.resume();
      });
      socket.on('error', () => socket.destroy());
    });
    // The HTTP/1.1 server starts its connection tracking (the sweep that enforces headersTimeout and requestTimeout,
    // and the list closeIdleConnections uses) when it hears 'listening'; it never listens itself, so it is told.
    this.net.on('listening', () => this.http1.emit('listening'));
  }

  /** Asks every HTTP/2 session to end and drops the connections that never sent a request. */
  closeSessions(): void {
    for (const s of this.sessions) s.close();
    for (const s of this.pending) s.destroy();
  }

  /** Ends every connection still open, of either protocol. */
  destroyAll(): void {
    for (const s of this.sessions) s.destroy();
    for (const s of this.sockets) s.destroy();
  }
}
