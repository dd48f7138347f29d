// The Invoke API: resolves the function, checks the request as AWS does, runs it through the engine, maps the result.
import { AwsError } from '../../lib/errors.js';
import type { ApiRequest, ApiResponse, RestRoute } from '../../server/types.js';
import type { InvokeInput, LambdaInvoker, Resolved } from './invoker.js';
import { Constraints } from './validate.js';

export const MAX_SYNC_PAYLOAD = 6_291_456;
const MAX_CLIENT_CONTEXT = 3583;

export interface InvokeDeps {
  invoker: LambdaInvoker;
  /** Accepts an Event invocation durably (set by the async part of the service). */
  enqueueEvent?(req: ApiRequest, functionRef: { region: string; name: string; qualifier?: string }, payload: Buffer): Promise<void>;
  /** Invoke of a function with a DurableConfig: each invocation starts a durable execution (durable/). */
  durable?(req: ApiRequest, type: string, resolved: Resolved, payload: Buffer): Promise<ApiResponse>;
}

/** Checks that a payload is JSON, as Lambda does before invoking. */
export function checkPayload(body: Buffer): Buffer {
  if (body.length === 0) return Buffer.from('{}');
  try {
    JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new AwsError('InvalidRequestContentException', `Could not parse request body into json: Could not parse payload into json: ${e instanceof Error ? e.message : 'invalid JSON'}`);
  }
  return body;
}

/** Decodes and checks `X-Amz-Client-Context` (base64 JSON, at most 3,583 bytes) as Lambda does. */
export function clientContext(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.length > MAX_CLIENT_CONTEXT) {
    throw new AwsError('InvalidParameterValueException', `Client context must be ${MAX_CLIENT_CONTEXT} bytes or less (base64).`);
  }
  const text = Buffer.from(raw, 'base64').toString('utf8');
  try {
    JSON.parse(text);
  } catch {
    throw new AwsError('InvalidRequestContentException', 'Client context must be a valid Base64-encoded JSON object.');
  }
  return text;
}

/**
 * What both Invoke APIs read from a request (invocation and log types, the function, the payload), checked as AWS
 * does; `input()` builds the engine's invocation (checking the client context) once the request is known to run.
 */
export function readInvoke(
  req: ApiRequest,
  invoker: LambdaInvoker,
  types: readonly string[],
): { type: string; resolved: Resolved; payload: Buffer; input: () => InvokeInput } {
  const type = req.header('x-amz-invocation-type') ?? 'RequestResponse';
  const logType = req.header('x-amz-log-type') ?? 'None';
  new Constraints().oneOf('invocationType', type, types).oneOf('logType', logType, ['None', 'Tail']).throwIfAny();
  const resolved = invoker.resolve(req.region, req.params['FunctionName'] ?? '', req.query.get('Qualifier') ?? undefined);
  const payload = checkPayload(req.body);
  const input = (): InvokeInput => ({
    region: req.region,
    functionName: resolved.fn.name,
    resolved,
    requestId: req.requestId,
    payload,
    clientContext: clientContext(req.header('x-amz-client-context')),
    tail: logType === 'Tail',
    // A function invoking a function: the SDK in it forwards its _X_AMZN_TRACE_ID (recursive loop detection).
    traceHeader: req.header('x-amzn-trace-id'),
    source: 'lambda',
  });
  return { type, resolved, payload, input };
}

/** A DryRun's answer: the checks passed; nothing runs. */
export const dryRun = (resolved: Resolved): ApiResponse => ({ status: 204, headers: { 'X-Amz-Executed-Version': resolved.version } });

export function invokeRoutes(d: InvokeDeps): RestRoute[] {
  const invoke = async (req: ApiRequest): Promise<ApiResponse> => {
    const { type, resolved, payload, input } = readInvoke(req, d.invoker, ['Event', 'RequestResponse', 'DryRun']);
    if (type === 'DryRun') return dryRun(resolved);
    if (resolved.config.DurableConfig && d.durable) return d.durable(req, type, resolved, payload);
    if (type === 'Event') {
      if (payload.length > 1_048_576) {
        throw new AwsError('RequestTooLargeException', `Request must be smaller than 1048576 bytes for the InvokeFunction operation`);
      }
      if (!d.enqueueEvent) throw new AwsError('InvalidParameterValueException', 'Asynchronous (Event) invocation is not available in this build of selfless.');
      await d.enqueueEvent(req, { region: req.region, name: resolved.fn.name, qualifier: resolved.qualifier }, payload);
      return { status: 202 };
    }
    const result = await d.invoker.invoke(input());
    const headers: Record<string, string> = { 'X-Amz-Executed-Version': result.executedVersion, 'content-type': 'application/json' };
    if (result.functionError) headers['X-Amz-Function-Error'] = result.functionError;
    if (result.logResult !== undefined) headers['X-Amz-Log-Result'] = result.logResult;
    return { status: 200, headers, body: result.payload };
  };

  return [
    {
      op: 'Invoke',
      method: 'POST',
      path: '/2015-03-31/functions/{FunctionName}/invocations',
      maxBody: MAX_SYNC_PAYLOAD,
      tooLarge: () => new AwsError('RequestTooLargeException', `Request must be smaller than ${MAX_SYNC_PAYLOAD} bytes for the InvokeFunction operation`),
      handler: invoke,
    },
  ];
}
