// What a service hands the server: rest-json routes, JSON-protocol targets, and raw HTTP front doors.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AwsError } from '../lib/errors.js';
import type { Caller, OperationContext } from './auth.js';
import type { AuthFamily } from './auth-errors.js';
import type { ValidationPolicy } from './validate.js';

export interface ApiRequest {
  readonly requestId: string;
  readonly region: string;
  readonly accountId: string;
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Base URL of this server as the client reached it (for URLs handed back, e.g. Code.Location). */
  readonly baseUrl: string;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  header(name: string): string | undefined;
  /** Who the request was verified as (the account root for an unsigned request in dev mode). */
  readonly caller: Caller;
}

export interface ApiResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON value (serialised), a string or Buffer (sent as is), or undefined (empty body). */
  body?: unknown;
  /** Takes over the response for streaming; called after status and headers are decided by the handler itself. */
  stream?: (res: ServerResponse) => Promise<void>;
}

export type Handler = (req: ApiRequest) => Promise<ApiResponse>;

export interface RestRoute {
  /** Operation name, as in the AWS model. */
  op: string;
  method: string;
  /** Path template with `{Name}` segments; `{Name+}` matches the rest of the path. */
  path: string;
  /** Required query parameter for routes that share a path (e.g. `find=LayerVersion`). */
  query?: { name: string; value?: string };
  /**
   * Required prefix of a path parameter, for services that share a path on the one endpoint: Signer's and Scheduler's
   * `/tags/{resourceArn}` are told apart by the ARN (`arn:aws:signer:`).
   */
  paramPrefix?: { name: string; prefix: string };
  maxBody?: number;
  tooLarge?: (limit: number) => AwsError;
  /** How the edge validator checks the body against the operation's model (false: not at all). */
  validation?: ValidationPolicy | false;
  handler: Handler;
}

export interface JsonService {
  /** The X-Amz-Target prefix before the dot, e.g. `AWSStepFunctions`. */
  targetPrefix: string;
  /** Error type namespace for `__type`, e.g. `com.amazonaws.sqs`. */
  errorNamespace?: string;
  ops: Readonly<Record<string, Handler>>;
  maxBody?: number;
  /** How the edge validator checks bodies against the operations' models (false: not at all). */
  validation?: ValidationPolicy | false;
}

/** A front door that answers plain HTTP (function URLs, gateways): gets the raw request when it claims it. */
export interface RawRoute {
  name: string;
  claims(req: IncomingMessage, url: URL): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, auth: DoorAuth): Promise<void>;
}

/** How a raw door verifies its request: the server's one authentication (and, in enforce mode, authorization). */
export interface DoorAuth {
  /**
   * The caller the request is verified as; undefined for an anonymous request where the door allows one. Throws the
   * family's AwsError (S3's InvalidAccessKeyId, a function URL's Forbidden, …) when the signature proves no caller.
   */
  caller(req: IncomingMessage, o: DoorAuthOptions): Promise<Caller | undefined>;
}

export interface DoorAuthOptions {
  family: AuthFamily;
  /** S3's signing rules (the path as sent, the declared payload hash). */
  s3?: boolean;
  /** The body whose hash was signed (non-S3 doors read it first). */
  body?: Buffer;
  anonymousAllowed?: boolean;
  /** For the authorization hook. */
  service: string;
  operation: string;
  region: string;
  /** The request's members for the authorization table (default: none). */
  input?: () => Readonly<Record<string, unknown>>;
  /** S3's door: the request as it dispatches it. */
  s3Request?: OperationContext['s3'];
}

export interface ServiceRoutes {
  rest?: RestRoute[];
  /**
   * The AWS model (botocore service name, e.g. `lambda`) whose input shapes the edge validator checks these rest
   * routes against; operation names such as TagResource recur across services, so the model is named, not guessed.
   * Absent: the routes are not checked at the edge.
   */
  restModel?: string;
  json?: JsonService[];
  raw?: RawRoute[];
  /** Query-protocol (form-encoded `Action=`) handlers, e.g. SQS for older CLIs. */
  query?: { matches(form: URLSearchParams, req: IncomingMessage): boolean; handle(req: ApiRequest, form: URLSearchParams): Promise<ApiResponse> }[];
}
