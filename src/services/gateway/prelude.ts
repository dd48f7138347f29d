// Splits an HTTP-integration stream (JSON prelude, 8 NUL bytes, body) as function URLs read streamed responses.

export const HTTP_INTEGRATION = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = Buffer.alloc(8);

export interface Prelude {
  statusCode?: number;
  headers?: Record<string, unknown>;
  cookies?: unknown[];
}

/** Feed chunks; once the delimiter is seen, `push` returns the prelude (once) and then passes body bytes through. */
export class PreludeSplitter {
  private pending: Buffer[] = [];
  private done = false;
  private prelude: Prelude = {};

  /** Returns the prelude and body bytes once the delimiter has arrived, then `{body}` chunks; undefined while waiting. */
  push(chunk: Buffer): { prelude: Prelude; body: Buffer } | undefined {
    if (this.done) return { prelude: this.prelude, body: chunk };
    this.pending.push(chunk);
    const all = Buffer.concat(this.pending);
    const at = all.indexOf(DELIMITER);
    if (at < 0) return undefined;
    this.done = true;
    this.pending = [];
    this.prelude = parsePrelude(all.subarray(0, at));
    return { prelude: this.prelude, body: all.subarray(at + DELIMITER.length) };
  }

  /** At the end of the stream: whatever was buffered without a delimiter is the body of a default 200. */
  end(): { prelude: Prelude; body: Buffer } {
    if (this.done) return { prelude: this.prelude, body: Buffer.alloc(0) };
    this.done = true;
    return { prelude: {}, body: Buffer.concat(this.pending) };
  }
}

function parsePrelude(b: Buffer): Prelude {
  try {
    const v = JSON.parse(b.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as Prelude) : {};
  } catch {
    return {};
  }
}
