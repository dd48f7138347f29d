// The one error table: every AWS wire error that selfless produces, with its HTTP status and fault side.
//
// Services throw `AwsError`s built from this table; the server serialises them for the protocol in use.
// rest-json (Lambda) uses `status`; JSON-protocol services (SQS, Step Functions, Logs, Events) answer client
// errors with 400 unless `jsonStatus` says otherwise, as AWS does.

interface ErrorSpec {
  status: number;
  jsonStatus?: number;
  /** The legacy query-protocol code (SQS's `x-amzn-query-error`). */
  queryCode?: string;
}

export const ERROR_TABLE = {
  // Generic / protocol level
  UnknownOperationException: { status: 400 },
  UnrecognizedClientException: { status: 403 },
  AccessDeniedException: { status: 403 },
  ValidationException: { status: 400 },
  SerializationException: { status: 400 },
  InternalFailure: { status: 500 },
  ServiceException: { status: 500 },
  // AWS's common 503 (every protocol; S3's own code too): the data volume is full, a write was not done (see isStorageFull).
  ServiceUnavailable: { status: 503, queryCode: 'ServiceUnavailable' },
  ThrottlingException: { status: 400 },
  // Lambda (rest-json)
  InvalidParameterValueException: { status: 400 },
  InvalidRequestContentException: { status: 400 },
  ResourceNotFoundException: { status: 404, jsonStatus: 400 },
  ResourceConflictException: { status: 409 },
  ResourceInUseException: { status: 400 },
  PreconditionFailedException: { status: 412 },
  PolicyLengthExceededException: { status: 400 },
  CodeStorageExceededException: { status: 400 },
  AliasLimitExceededException: { status: 400 },
  ProvisionedConcurrencyConfigNotFoundException: { status: 404 },
  RequestTooLargeException: { status: 413 },
  RequestEntityTooLargeException: { status: 413 },
  UnsupportedMediaTypeException: { status: 415 },
  TooManyRequestsException: { status: 429 },
  ResourceNotReadyException: { status: 502 },
  RecursiveInvocationException: { status: 400 },
  InvalidRuntimeException: { status: 502 },
  InvalidZipFileException: { status: 502 },
  ServiceQuotaExceededException: { status: 402 },
  NotFound: { status: 404 },
  // CloudWatch Logs (JSON)
  InvalidParameterException: { status: 400 },
  ResourceAlreadyExistsException: { status: 400 },
  MethodNotAllowed: { status: 405 },
  // EventBridge (JSON)
  InvalidEventPatternException: { status: 400 },
  LimitExceededException: { status: 400 },
  // SQS (JSON with awsQueryCompatible: `__type` is the shape name, x-amzn-query-error the legacy code)
  QueueDoesNotExist: { status: 400, queryCode: 'AWS.SimpleQueueService.NonExistentQueue' },
  QueueNameExists: { status: 400, queryCode: 'QueueAlreadyExists' },
  QueueDeletedRecently: { status: 400, queryCode: 'AWS.SimpleQueueService.QueueDeletedRecently' },
  PurgeQueueInProgress: { status: 403, jsonStatus: 403, queryCode: 'AWS.SimpleQueueService.PurgeQueueInProgress' },
  MessageNotInflight: { status: 400, queryCode: 'AWS.SimpleQueueService.MessageNotInflight' },
  ReceiptHandleIsInvalid: { status: 400, queryCode: 'ReceiptHandleIsInvalid' },
  BatchEntryIdsNotDistinct: { status: 400, queryCode: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct' },
  BatchRequestTooLong: { status: 400, queryCode: 'AWS.SimpleQueueService.BatchRequestTooLong' },
  EmptyBatchRequest: { status: 400, queryCode: 'AWS.SimpleQueueService.EmptyBatchRequest' },
  InvalidBatchEntryId: { status: 400, queryCode: 'AWS.SimpleQueueService.InvalidBatchEntryId' },
  TooManyEntriesInBatchRequest: { status: 400, queryCode: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest' },
  UnsupportedOperation: { status: 400, queryCode: 'AWS.SimpleQueueService.UnsupportedOperation' },
  InvalidAttributeName: { status: 400, queryCode: 'InvalidAttributeName' },
  InvalidAttributeValue: { status: 400, queryCode: 'InvalidAttributeValue' },
  InvalidMessageContents: { status: 400, queryCode: 'InvalidMessageContents' },
  InvalidAddress: { status: 400, queryCode: 'InvalidAddress' },
  InvalidParameterValue: { status: 400, queryCode: 'InvalidParameterValue' },
  MissingParameter: { status: 400, queryCode: 'MissingParameter' },
  InvalidAction: { status: 400, queryCode: 'InvalidAction' },
  OverLimit: { status: 403, jsonStatus: 403, queryCode: 'OverLimit' },
  // Step Functions (JSON 1.0)
  StateMachineDoesNotExist: { status: 400 },
  StateMachineAlreadyExists: { status: 400 },
  StateMachineTypeNotSupported: { status: 400 },
  ExecutionDoesNotExist: { status: 400 },
  ExecutionAlreadyExists: { status: 400 },
  InvalidDefinition: { status: 400 },
  InvalidArn: { status: 400 },
  InvalidName: { status: 400 },
  InvalidExecutionInput: { status: 400 },
  InvalidOutput: { status: 400 },
  InvalidToken: { status: 400 },
  TaskDoesNotExist: { status: 400 },
  TaskTimedOut: { status: 400 },
  ActivityDoesNotExist: { status: 400 },
  MissingRequiredParameter: { status: 400 },
  ResourceNotFound: { status: 400 },
} satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_TABLE | (string & {});

export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly jsonStatus: number;
  readonly queryCode: string | undefined;
  /** Extra members of the error body (e.g. `Reason` on TooManyRequestsException). */
  readonly fields: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, opts: { fields?: Record<string, unknown>; headers?: Record<string, string>; status?: number } = {}) {
    super(message);
    const spec: ErrorSpec | undefined = (ERROR_TABLE as Record<string, ErrorSpec>)[code];
    this.name = 'AwsError';
    this.code = code;
    this.status = opts.status ?? spec?.status ?? 400;
    this.jsonStatus = opts.status ?? spec?.jsonStatus ?? (this.status >= 500 ? this.status : 400);
    this.queryCode = spec?.queryCode;
    this.fields = opts.fields ?? {};
    this.headers = opts.headers ?? {};
  }

  get fault(): 'User' | 'Service' {
    return this.status >= 500 ? 'Service' : 'User';
  }
}

export const awsError = (code: ErrorCode, message: string, opts?: ConstructorParameters<typeof AwsError>[2]): AwsError =>
  new AwsError(code, message, opts);

export const notFound = (message: string): AwsError => new AwsError('ResourceNotFoundException', message);
export const invalidParam = (message: string): AwsError => new AwsError('InvalidParameterValueException', message);

/**
 * Turns anything thrown into an AwsError without ever throwing itself, even for hostile objects
 * (getters that throw, proxies, null). Unknown errors become a 500 ServiceException and are reported to `onInternal`.
 */
export function toAwsError(e: unknown, onInternal?: (e: unknown) => void): AwsError {
  try {
    if (e instanceof AwsError) return e;
  } catch {
    /* instanceof on a revoked proxy throws */
  }
  const full = isStorageFull(e);
  try {
    // A full volume is reported once in a while, not once per refused request.
    if (!full || storageFullSeen++ % 1000 === 0) onInternal?.(e);
  } catch {
    /* the reporter must not break serialisation */
  }
  if (full) return new AwsError('ServiceUnavailable', STORAGE_FULL_MESSAGE);
  return new AwsError('ServiceException', 'An internal error occurred.');
}

let storageFullSeen = 0;

export const STORAGE_FULL_MESSAGE = "Service unavailable: no space left on the server's data volume; the request was not carried out. Retry once space is freed.";

/**
 * Whether an error is the store or the file system refusing a write for lack of space: SQLite's SQLITE_FULL
 * ("database or disk is full", also as the journal thread's message), ENOSPC/EDQUOT from the file system, and
 * PostgreSQL's disk_full (SQLSTATE 53100).
 */
export function isStorageFull(e: unknown, depth = 0): boolean {
  try {
    if (e === null || typeof e !== 'object') return false;
    const o = e as { code?: unknown; message?: unknown; cause?: unknown };
    const code = typeof o.code === 'string' ? o.code : '';
    if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT' || code === '53100') return true;
    const msg = typeof o.message === 'string' ? o.message : '';
    if (/database or disk is full|ENOSPC|EDQUOT|no space left on device|could not extend file/i.test(msg)) return true;
    return depth < 4 && o.cause !== undefined && isStorageFull(o.cause, depth + 1);
  } catch {
    return false;
  }
}
