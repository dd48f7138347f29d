// A minimal HTTP/1.1 client over one keep-alive socket for the runtime's hot path (next / response): one request at
// a time, as the Runtime API is used, without the cost of Node's general-purpose client. Idle, the socket is unref'd
// so that it never keeps the event loop alive (callback handlers wait for the loop to empty, as on AWS).
import { connect, type Socket } from 'node:net';

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

interface Pending {
  resolve: (r: WireResponse) => void;
  reject: (e: Error) => void;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export class WireClient {
  private socket: Socket | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  private open(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const s = connect({ host: this.host, port: this.port, noDelay: true });
    s.on('data', (c: Buffer) => this.onData(c));
    s.on('error', (e) => this.fail(e));
    s.on('close', () => {
      if (this.socket === s) this.socket = undefined;
      this.fail(new Error('Runtime API connection closed'));
    });
    this.socket = s;
    this.buf = Buffer.alloc(0);
    return s;
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  request(method: string, path: string, headers: Record<string, string | number>, body?: Buffer | string): Promise<WireResponse> {
    if (this.pending) return Promise.reject(new Error('one Runtime API request at a time'));
    const s = this.open();
    s.ref();
    const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    head += `Content-Length: ${payload?.length ?? 0}\r\n\r\n`;
    return new Promise<WireResponse>((resolve, reject) => {
      this.pending = { resolve, reject };
      if (payload && payload.length > 0) s.write(Buffer.concat([Buffer.from(head, 'latin1'), payload]));
      else s.write(head, 'latin1');
    });
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const end = this.buf.indexOf(HEADER_END);
    if (end < 0 || !this.pending) return;
    const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(lines[0]?.split(' ')[1] ?? 0);
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const start = end + 4;
    let body: Buffer;
    let consumed: number;
    if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const decoded = decodeChunked(this.buf, start);
      if (!decoded) return;
      [body, consumed] = decoded;
    } else {
      const len = Number(headers['content-length'] ?? 0);
      if (this.buf.length < start + len) return;
      body = Buffer.from(this.buf.subarray(start, start + len));
      consumed = start + len;
    }
    this.buf = this.buf.subarray(consumed);
    const p = this.pending;
    this.pending = undefined;
    if (headers['connection']?.toLowerCase() === 'close') this.socket?.destroy();
    else this.socket?.unref();
    p.resolve({ status, headers, body });
  }
}

/** Decodes a complete chunked body starting at `from`; undefined while incomplete. Returns [body, end offset]. */
function decodeChunked(buf: Buffer, from: number): [Buffer, number] | undefined {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const eol = buf.indexOf('\r\n', at, 'latin1');
    if (eol < 0) return undefined;
    const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) throw new Error('bad chunked encoding from the Runtime API');
    if (size === 0) {
      // "0\r\n", optional trailer lines, then an empty line.
      const trailerEnd = buf.indexOf(HEADER_END, eol, 'latin1');
      return trailerEnd < 0 ? undefined : [Buffer.concat(parts), trailerEnd + 4];
    }
    if (buf.length < eol + 2 + size + 2) return undefined;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
