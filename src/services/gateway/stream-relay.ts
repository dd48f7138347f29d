// Relays a RESPONSE_STREAM function's bytes to an HTTP client as they arrive, reading the HTTP-integration prelude
// (status, headers, cookies) first when the function wrote one.
//
// States and transitions:
//   idle    --start(http-integration)--> prelude   (the JSON prelude and its 8-NUL delimiter come first)
//   idle    --start(other type)--------> open      (200 with the function's content type)
//   prelude --delimiter seen-----------> open      (status and headers from the prelude)
//   prelude --finish-------------------> closed    (no delimiter: what came is the body of a 200)
//   open    --finish-------------------> closed
//   idle    --finish-------------------> idle      (nothing streamed: the caller answers as for a buffered call)
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type { StreamSink } from '../../engine/types.js';
import { HTTP_INTEGRATION, PreludeSplitter, type Prelude } from './prelude.js';

type State = 'idle' | 'prelude' | 'open' | 'closed';

export function preludeHeaders(p: Prelude): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(p.headers ?? {})) out.push([k, String(v)]);
  for (const c of p.cookies ?? []) out.push(['set-cookie', String(c)]);
  return out;
}

export class StreamRelay {
  private state: State = 'idle';
  private split: PreludeSplitter | undefined;
  readonly sink: StreamSink;

  /** `decorate` adjusts the function's headers (CORS) and adds the front door's own. */
  constructor(
    private readonly res: ServerResponse,
    private readonly decorate: (headers: [string, string][]) => [string, string][],
  ) {
    const body = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.data(chunk);
        cb();
      },
    });
    this.sink = { start: (type) => this.start(type), body };
  }

  get streamed(): boolean {
    return this.state !== 'idle';
  }

  private start(contentType: string): void {
    if (this.state !== 'idle') return;
    if (contentType === HTTP_INTEGRATION) {
      this.split = new PreludeSplitter();
      this.state = 'prelude';
    } else this.open(200, [['content-type', contentType]]);
  }

  private data(chunk: Buffer): void {
    if (this.state === 'open') {
      this.res.write(chunk);
    } else if (this.state === 'prelude') {
      const out = this.split!.push(chunk);
      if (!out) return;
      this.open(out.prelude.statusCode ?? 200, preludeHeaders(out.prelude));
      if (out.body.length > 0) this.res.write(out.body);
    }
  }

  private open(status: number, headers: [string, string][]): void {
    const h: Record<string, string | string[]> = {};
    for (const [k, v] of this.decorate(headers)) {
      const n = k.toLowerCase();
      if (n === 'content-length') continue;
      const cur = h[n];
      h[n] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
    }
    this.res.writeHead(status, h);
    this.res.flushHeaders();
    this.state = 'open';
  }

  /** After the invocation: flushes what the body stream still holds and ends the response (unless nothing streamed). */
  async finish(): Promise<void> {
    await new Promise<void>((r) => this.sink.body.end(r));
    if (this.state === 'idle' || this.state === 'closed') return;
    if (this.state === 'prelude') {
      const p = this.split!.end();
      this.open(p.prelude.statusCode ?? 200, preludeHeaders(p.prelude));
      this.res.write(p.body);
    }
    this.res.end();
    this.state = 'closed';
  }

  /** The invocation failed after bytes went out: the client sees a cut-off response. */
  abort(): void {
    this.state = 'closed';
    this.res.destroy();
  }
}
