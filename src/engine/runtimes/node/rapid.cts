// The Node runtime client's Runtime API client: next / response / error / init-error over one keep-alive socket.
import type { Agent, ClientRequest } from 'node:http';
import { WireClient, type WireResponse } from './wire.cjs';

/** Node's HTTP client serves only streamed responses: loaded on first use, it costs an idle runtime nothing. */
let agent: Agent | undefined;
const http = (): typeof import('node:http') => require('node:http') as typeof import('node:http');

export interface Invocation {
  requestId: string;
  deadlineMs: number;
  invokedArn: string;
  traceId: string | undefined;
  clientContext: string | undefined;
  cognitoIdentity: string | undefined;
  body: Buffer;
}

export interface ErrorBody {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/**
 * Whether the function left anything that could run while the environment waits (a timer, socket, pending request
 * or child process): when not, the sandbox need not freeze it. Our own Runtime API socket is idle (unref'd) here.
 */
const quietHeader = (): Record<string, string> => (process.getActiveResourcesInfo().length === 0 ? { 'lambda-runtime-selfless-quiet': '1' } : {});

function toInvocation(r: WireResponse): Invocation {
  const one = (k: string): string | undefined => r.headers[k];
  return {
    requestId: one('lambda-runtime-aws-request-id') ?? '',
    deadlineMs: Number(one('lambda-runtime-deadline-ms') ?? 0),
    invokedArn: one('lambda-runtime-invoked-function-arn') ?? '',
    traceId: one('lambda-runtime-trace-id'),
    clientContext: one('lambda-runtime-client-context'),
    cognitoIdentity: one('lambda-runtime-cognito-identity'),
    body: r.body,
  };
}

export class RuntimeApi {
  private readonly host: string;
  private readonly port: number;
  private readonly wire: WireClient;

  constructor(address: string) {
    const i = address.lastIndexOf(':');
    this.host = address.slice(0, i);
    this.port = Number(address.slice(i + 1));
    this.wire = new WireClient(this.host, this.port);
  }

  private call(method: string, path: string, headers: Record<string, string | number>, body?: Buffer | string): Promise<WireResponse> {
    const { ['content-length']: _ignored, ...rest } = headers;
    return this.wire.request(method, path, rest, body);
  }

  /** The private pre-start hand-over: waits until this process is assigned to a function; returns its environment. */
  async assignment(): Promise<Record<string, string>> {
    const r = await this.call('GET', '/2018-06-01/selfless/assignment', {});
    return (JSON.parse(r.body.toString('utf8')) as { env: Record<string, string> }).env;
  }

  async next(): Promise<Invocation> {
    return toInvocation(await this.call('GET', '/2018-06-01/runtime/invocation/next', quietHeader()));
  }

  /**
   * Posts a response and waits for the next invocation in the same exchange (selfless's private route: one round
   * trip per invocation instead of two). Undefined when the platform did not answer with an invocation.
   */
  async responseThenNext(requestId: string, body: string): Promise<Invocation | undefined> {
    const r = await this.call('POST', `/2018-06-01/selfless/invocation/${encodeURIComponent(requestId)}/response-then-next`, {
      ...quietHeader(),
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    }, body);
    return r.status === 200 && r.headers['lambda-runtime-aws-request-id'] ? toInvocation(r) : undefined;
  }


  async response(requestId: string, body: Buffer | string): Promise<void> {
    await this.call('POST', `/2018-06-01/runtime/invocation/${encodeURIComponent(requestId)}/response`, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    }, body);
  }

  /** `fatal`: this process exits right after (uncaught exception), so the platform must not reuse it. */
  async error(requestId: string, e: ErrorBody, fatal = false): Promise<void> {
    const text = JSON.stringify(e);
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'lambda-runtime-function-error-type': e.errorType,
    };
    if (fatal) headers['lambda-runtime-selfless-fatal'] = '1';
    await this.call('POST', `/2018-06-01/runtime/invocation/${encodeURIComponent(requestId)}/error`, headers, text);
  }

  async initError(e: ErrorBody): Promise<void> {
    const text = JSON.stringify(e);
    await this.call('POST', '/2018-06-01/runtime/init/error', {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'lambda-runtime-function-error-type': e.errorType,
    }, text);
  }

  /** Opens a streaming response (chunked, with error trailers declared); the caller writes and ends it. */
  streamingResponse(requestId: string, contentType: string, onDone: (err?: Error) => void): ClientRequest {
    agent ??= new (http().Agent)({ keepAlive: true, maxSockets: 2 });
    const req = http().request({
      host: this.host,
      port: this.port,
      method: 'POST',
      path: `/2018-06-01/runtime/invocation/${encodeURIComponent(requestId)}/response`,
      agent,
      headers: {
        'content-type': contentType,
        'transfer-encoding': 'chunked',
        'lambda-runtime-function-response-mode': 'streaming',
        trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
      },
    }, (res) => {
      res.resume();
      res.on('end', () => onDone());
    });
    req.on('error', (e) => onDone(e));
    return req;
  }
}
