// The `context` object AWS's Node runtime hands to handlers, built from the invocation's headers and environment.
import type { Invocation } from './rapid.cjs';

export interface LambdaContext {
  callbackWaitsForEmptyEventLoop: boolean;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  identity: unknown;
  clientContext: unknown;
  getRemainingTimeInMillis(): number;
  succeed(result?: unknown): void;
  fail(err?: unknown): void;
  done(err?: unknown, result?: unknown): void;
}

function parseJson(raw: string | undefined, what: string): unknown {
  if (raw === undefined || raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`Cannot parse ${what} as JSON`);
  }
}

export function buildContext(inv: Invocation, callback: (err?: unknown, result?: unknown) => void): LambdaContext {
  const env = process.env;
  const context: LambdaContext = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env['AWS_LAMBDA_FUNCTION_NAME'] ?? '',
    functionVersion: env['AWS_LAMBDA_FUNCTION_VERSION'] ?? '',
    invokedFunctionArn: inv.invokedArn,
    memoryLimitInMB: env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'] ?? '',
    awsRequestId: inv.requestId,
    logGroupName: env['AWS_LAMBDA_LOG_GROUP_NAME'] ?? '',
    logStreamName: env['AWS_LAMBDA_LOG_STREAM_NAME'] ?? '',
    identity: parseJson(inv.cognitoIdentity, 'cognito identity'),
    clientContext: parseJson(inv.clientContext, 'client context'),
    getRemainingTimeInMillis: () => inv.deadlineMs - Date.now(),
    succeed: (result) => callback(null, result),
    fail: (err) => callback(err ?? 'handled'),
    done: (err, result) => callback(err, result),
  };
  return context;
}
