// The engine's vocabulary: what a function version needs to run, an invocation, its result, and the log sink.
import type { Writable } from 'node:stream';

/** Everything an execution environment needs, resolved by the Lambda service; identity = `key`. */
export interface FunctionSpec {
  /** Unique per code + configuration: environments are bound to one key for their whole life. */
  key: string;
  /**
   * Called at every environment start, before an environment is taken; a throw (an AwsError) refuses the start and is
   * the invocation's answer. Lambda decrypts the function's environment variables here (its KMS key's state).
   */
  prepare?: () => Promise<void>;
  region: string;
  accountId: string;
  functionName: string;
  /** Unqualified ARN of the function. */
  functionArn: string;
  /** The execution role's ARN (as configured; it may name no role in dev mode). */
  role?: string;
  version: string;
  runtime: string;
  /** The function's instruction set ('x86_64' or 'arm64'); absent: x86_64. */
  architecture?: string;
  handler: string;
  memorySize: number;
  timeout: number;
  ephemeralStorage: number;
  environment: Readonly<Record<string, string>>;
  codeDir: string;
  /** The function's merged layers (what it sees as /opt), prepared by the Lambda service; none → an empty dir. */
  optDir?: string;
  logGroup: string;
  logFormat: 'Text' | 'JSON';
  applicationLogLevel?: string;
  systemLogLevel?: string;
  /** Concurrency bookkeeping key (the function, across versions). */
  concurrencyKey: string;
  reservedConcurrency?: number;
  /**
   * Container-image functions: the image's unpacked root (read-only, the environment's `/`), and what runs in it:
   * entrypoint + cmd (ImageConfig over the image's), the working directory, the image's environment (the Lambda
   * variables go on top). Sandbox mode only.
   */
  image?: { rootfs: string; entrypoint: string[]; cmd: string[]; workdir: string; env: Readonly<Record<string, string>> };
  /** Per-function switch: run with no network (sandbox mode only). */
  noNetwork?: boolean;
}

/** Where a streaming function's bytes go as the runtime writes them. */
export interface StreamSink {
  /** Called once, before the first chunk, with the runtime's content type. */
  start(contentType: string): void;
  body: Writable;
}

export interface InvokeRequest {
  requestId: string;
  payload: Buffer;
  invokedArn: string;
  /** Decoded client context JSON (AWS passes the caller's base64 decoded). */
  clientContext?: string;
  cognitoIdentity?: string;
  traceId?: string;
  tail: boolean;
  /** When set and the function streams its response, chunks are written here as they arrive. */
  stream?: StreamSink;
  /** Skip admission control (e.g. the async worker already holds capacity). */
  admitted?: boolean;
}

export interface InvokeResult {
  payload: Buffer;
  functionError?: 'Unhandled';
  /** base64 of the last 4 KB of the invocation's log, when `tail` was asked. */
  logResult?: string;
  executedVersion: string;
  /** True when the body was already written to the request's stream sink. */
  streamed: boolean;
  /** The runtime's content type (streaming responses). */
  contentType?: string;
  /** For mid-stream failures of streamed responses. */
  streamError?: { errorCode: string; errorDetails: string };
  coldStart: boolean;
  /** Time the environment spent on the invocation (ms), as in its REPORT line; absent when Init failed. */
  durationMs?: number;
}

export interface LogEvent {
  timestamp: number;
  message: string;
}

/** Where function logs go (the logs service implements it). Appends are fire-and-forget and ordered per stream. */
export interface LogSink {
  append(region: string, group: string, stream: string, events: LogEvent[]): void;
}
