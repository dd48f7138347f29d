// Response streaming as AWS's Node runtime offers it: the `awslambda` global with streamifyResponse and
// HttpResponseStream, and a response stream that POSTs chunks to the Runtime API as they are written.
import type { ClientRequest } from 'node:http';
import { Writable } from 'node:stream';
import { toErrorBody } from './errors.cjs';
import type { RuntimeApi } from './rapid.cjs';

export const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const HTTP_INTEGRATION = 'application/vnd.awslambda.http-integration-response';

/** The stream a streaming handler writes to; the HTTP request opens lazily so the content type can still change. */
export class ResponseStream extends Writable {
  private contentType = 'application/octet-stream';
  private req: ClientRequest | undefined;
  private finished: Promise<void>;
  private resolveFinished!: (err?: Error) => void;
  /** True once any byte went out: an error after that must travel as trailers. */
  opened = false;

  constructor(
    private readonly api: RuntimeApi,
    private readonly requestId: string,
    highWaterMark?: number,
  ) {
    super({ highWaterMark });
    this.finished = new Promise((resolve, reject) => {
      this.resolveFinished = (err) => (err ? reject(err) : resolve());
    });
    this.finished.catch(() => undefined);
  }

  setContentType(type: string): void {
    if (this.opened) throw new Error('Content type cannot be set after the first write.');
    this.contentType = type;
  }

  private open(): ClientRequest {
    if (!this.req) {
      this.opened = true;
      this.req = this.api.streamingResponse(this.requestId, this.contentType, (err) => this.resolveFinished(err));
    }
    return this.req;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const req = this.open();
    if (req.write(chunk)) cb();
    else req.once('drain', () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.open().end();
    cb();
  }

  /** Ends the response with AWS's error trailers (an error after the stream began). */
  fail(e: unknown): void {
    const body = toErrorBody(e);
    const req = this.open();
    req.addTrailers({
      'Lambda-Runtime-Function-Error-Type': body.errorType,
      'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(body)).toString('base64'),
    });
    req.end();
  }

  /** Resolves when the Runtime API has the whole response. */
  done(): Promise<void> {
    return this.finished;
  }
}

interface Prelude {
  statusCode?: number;
  headers?: Record<string, string>;
  cookies?: string[];
}

class HttpResponseStream {
  static from(stream: ResponseStream, prelude: Prelude): ResponseStream {
    stream.setContentType(HTTP_INTEGRATION);
    stream.write(JSON.stringify(prelude));
    stream.write(new Uint8Array(8));
    return stream;
  }
}

type AnyHandler = ((...args: unknown[]) => unknown) & { [STREAMING]?: string; [HIGH_WATER_MARK]?: number };

export function installGlobal(): void {
  if (process.env['AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA']) return;
  (globalThis as Record<string, unknown>)['awslambda'] = {
    streamifyResponse(handler: AnyHandler, options?: { highWaterMark?: number }): AnyHandler {
      handler[STREAMING] = 'response';
      if (options?.highWaterMark !== undefined) handler[HIGH_WATER_MARK] = options.highWaterMark;
      return handler;
    },
    HttpResponseStream,
  };
}

export const isStreaming = (h: unknown): boolean => (h as AnyHandler)[STREAMING] === 'response';
export const highWaterMarkOf = (h: unknown): number | undefined => (h as AnyHandler)[HIGH_WATER_MARK];
