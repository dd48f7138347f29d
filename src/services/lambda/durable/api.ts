// Durable functions' wire handlers: the nine durable-execution operations of the Lambda API (2025-12-01 paths) and
// Invoke of a function with a DurableConfig (an execution per invocation).
import { z } from 'zod';
import type { ApiRequest, ApiResponse, RestRoute } from '../../../server/types.js';
import { parseJsonBody, shape } from '../../../lib/validate.js';
import type { Resolved } from '../invoker.js';
import { parseFunctionRef } from '../arn.js';
import { invalidMarker, syncTooLong, unqualifiedInvoke } from './errors.js';
import { EXECUTION_STATUSES, wireOperation, type ErrorObject, type ExecutionRecord } from './model.js';
import type { StoredEvent } from './store.js';
import { DEFAULT_EXECUTION_TIMEOUT, type DurableExecutions } from './executions.js';
import type { DurableConfig } from './config.js';
import type { OperationUpdate } from './state.js';

const ErrorShape = z.object({
  ErrorMessage: z.string().optional(),
  ErrorType: z.string().optional(),
  ErrorData: z.string().optional(),
  StackTrace: z.array(z.string()).optional(),
});

const UpdateShape = z.object({
  Id: z.string(),
  ParentId: z.string().optional(),
  Name: z.string().optional(),
  Type: z.enum(['EXECUTION', 'CONTEXT', 'STEP', 'WAIT', 'CALLBACK', 'CHAINED_INVOKE']),
  SubType: z.string().optional(),
  Action: z.enum(['START', 'SUCCEED', 'FAIL', 'RETRY', 'CANCEL']),
  Payload: z.string().optional(),
  Error: ErrorShape.optional(),
  ContextOptions: z.object({ ReplayChildren: z.boolean().optional() }).optional(),
  StepOptions: z.object({ NextAttemptDelaySeconds: z.number().int().optional() }).optional(),
  WaitOptions: z.object({ WaitSeconds: z.number().int().optional() }).optional(),
  CallbackOptions: z.object({ TimeoutSeconds: z.number().int().optional(), HeartbeatTimeoutSeconds: z.number().int().optional() }).optional(),
  ChainedInvokeOptions: z.object({ FunctionName: z.string(), TenantId: z.string().optional() }).optional(),
});
const CheckpointShape = z.object({ CheckpointToken: z.string(), Updates: z.array(UpdateShape).optional(), ClientToken: z.string().optional() });

const secs = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

/** A Marker this API handed out: an offset. */
function offsetOf(marker: string | null): number {
  if (marker === null || marker === '') return 0;
  if (!/^\d{1,9}$/.test(marker)) throw invalidMarker();
  return Number(marker);
}

function maxItems(raw: string | null, dflt: number): number {
  if (raw === null) return dflt;
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : dflt;
}

const bool = (raw: string | null): boolean => raw === 'true';

/** A timestamp in a query string: ISO 8601 (the SDKs' default) or epoch seconds. */
function time(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const n = Number(raw);
  if (Number.isFinite(n)) return n * 1000;
  const t = Date.parse(raw);
  return Number.isNaN(t) ? undefined : t;
}

function executionWire(e: ExecutionRecord): Record<string, unknown> {
  return {
    DurableExecutionArn: e.arn,
    DurableExecutionName: e.name,
    FunctionArn: e.functionArn,
    InputPayload: e.input,
    ...(e.result !== undefined ? { Result: e.result } : {}),
    ...(e.error !== undefined ? { Error: e.error } : {}),
    StartTimestamp: secs(e.startedAt),
    Status: e.status,
    ...(e.endedAt !== undefined ? { EndTimestamp: secs(e.endedAt) } : {}),
    Version: e.version,
    ...(e.traceId ? { TraceHeader: { XAmznTraceId: e.traceId } } : {}),
  };
}

/** Drops payloads (inputs, results, errors) from an event's details unless IncludeExecutionData was asked. */
function eventWire(ev: StoredEvent, withData: boolean): Record<string, unknown> {
  const { details, EventTimestamp, ...rest } = ev;
  let value = details?.value;
  if (value && !withData) {
    value = Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        if (v && typeof v === 'object' && !Array.isArray(v) && 'Payload' in v) {
          const { Payload: _dropped, ...keep } = v as Record<string, unknown>;
          return [k, keep];
        }
        return [k, v];
      }),
    );
  }
  return { ...rest, EventTimestamp: secs(EventTimestamp), ...(details ? { [details.key]: value } : {}) };
}

export interface DurableInvokeDeps {
  executions: DurableExecutions;
}

/**
 * Invoke of a durable function: each invocation starts an execution (named by X-Amz-Durable-Execution-Name, or a
 * fresh id). Event answers 202 at once; RequestResponse waits for the execution to end and answers its result.
 */
export async function durableInvoke(x: DurableExecutions, req: ApiRequest, type: string, r: Resolved, payload: Buffer): Promise<ApiResponse> {
  const config = r.config.DurableConfig as DurableConfig;
  if (r.qualifier === undefined) throw unqualifiedInvoke();
  const timeout = config.ExecutionTimeout ?? DEFAULT_EXECUTION_TIMEOUT;
  if (type === 'RequestResponse' && timeout > 900) throw syncTooLong(timeout);
  const e = await x.start(r, config, payload.toString('utf8'), req.header('x-amz-durable-execution-name'), req.header('x-amzn-trace-id'));
  const headers: Record<string, string> = { 'X-Amz-Executed-Version': r.version, 'X-Amz-Durable-Execution-Arn': e.arn };
  if (type === 'Event') return { status: 202, headers };
  const ended = await x.waitEnded(e.arn, timeout * 1000 + 5000, req.signal);
  headers['content-type'] = 'application/json';
  if (!ended || ended.status === 'RUNNING') {
    return { status: 200, headers: { ...headers, 'X-Amz-Function-Error': 'Unhandled' }, body: { errorType: 'Execution.Timeout', errorMessage: 'The durable execution did not end in time' } };
  }
  if (ended.status === 'SUCCEEDED') return { status: 200, headers, body: Buffer.from(ended.result ?? 'null') };
  const err: ErrorObject = ended.error ?? {};
  return {
    status: 200,
    headers: { ...headers, 'X-Amz-Function-Error': 'Unhandled' },
    body: { errorType: err.ErrorType ?? ended.status, errorMessage: err.ErrorMessage ?? `The durable execution ended ${ended.status}`, ...(err.StackTrace ? { stackTrace: err.StackTrace } : {}) },
  };
}

/** `functionExists` throws ResourceNotFoundException for a function this account does not have. */
export function durableRoutes(x: DurableExecutions, functionExists: (region: string, name: string) => Promise<void>): RestRoute[] {
  const arnOf = (req: ApiRequest): string => req.params['DurableExecutionArn'] ?? '';
  return [
    {
      op: 'CheckpointDurableExecution',
      method: 'POST',
      path: '/2025-12-01/durable-executions/{DurableExecutionArn}/checkpoint',
      handler: async (req) => {
        const b = shape(CheckpointShape, parseJsonBody(req.body));
        const out = await x.checkpoint(arnOf(req), b.CheckpointToken, (b.Updates ?? []) as OperationUpdate[]);
        return { body: { CheckpointToken: out.CheckpointToken, NewExecutionState: { Operations: out.NewExecutionState.Operations.map(wireOperation) } } };
      },
    },
    {
      op: 'GetDurableExecutionState',
      method: 'GET',
      path: '/2025-12-01/durable-executions/{DurableExecutionArn}/state',
      handler: async (req) => {
        const out = await x.state(arnOf(req), req.query.get('CheckpointToken') ?? '', offsetOf(req.query.get('Marker')), maxItems(req.query.get('MaxItems'), 1000));
        return { body: { Operations: out.Operations.map(wireOperation), ...(out.NextMarker ? { NextMarker: out.NextMarker } : {}) } };
      },
    },
    {
      op: 'GetDurableExecution',
      method: 'GET',
      path: '/2025-12-01/durable-executions/{DurableExecutionArn}',
      handler: async (req) => ({ body: executionWire(await x.get(arnOf(req))) }),
    },
    {
      op: 'GetDurableExecutionHistory',
      method: 'GET',
      path: '/2025-12-01/durable-executions/{DurableExecutionArn}/history',
      handler: async (req) => {
        const offset = offsetOf(req.query.get('Marker'));
        const limit = maxItems(req.query.get('MaxItems'), 100);
        const out = await x.history(arnOf(req), { offset, limit, reverse: bool(req.query.get('ReverseOrder')) });
        const withData = bool(req.query.get('IncludeExecutionData'));
        return { body: { Events: out.events.map((e) => eventWire(e, withData)), ...(out.more ? { NextMarker: String(offset + limit) } : {}) } };
      },
    },
    {
      op: 'ListDurableExecutionsByFunction',
      method: 'GET',
      path: '/2025-12-01/functions/{FunctionName}/durable-executions',
      handler: async (req) => {
        const ref = parseFunctionRef(req.params['FunctionName'] ?? '');
        await functionExists(req.region, ref.name);
        const qualifier = req.query.get('Qualifier') ?? ref.qualifier;
        const statuses = req.query.getAll('Statuses').filter((s) => (EXECUTION_STATUSES as readonly string[]).includes(s));
        const offset = offsetOf(req.query.get('Marker'));
        const limit = maxItems(req.query.get('MaxItems'), 50);
        const after = time(req.query.get('StartedAfter'));
        const before = time(req.query.get('StartedBefore'));
        const name = req.query.get('DurableExecutionName');
        const out = await x.list({
          region: req.region,
          functionName: ref.name,
          ...(qualifier !== undefined && qualifier !== null ? { version: qualifier } : {}),
          ...(name !== null ? { name } : {}),
          ...(statuses.length ? { statuses } : {}),
          ...(after !== undefined ? { startedAfter: after } : {}),
          ...(before !== undefined ? { startedBefore: before } : {}),
          reverse: bool(req.query.get('ReverseOrder')),
          offset,
          limit,
        });
        return {
          body: {
            DurableExecutions: out.executions.map((e) => ({
              DurableExecutionArn: e.arn,
              DurableExecutionName: e.name,
              FunctionArn: e.functionArn,
              Status: e.status,
              StartTimestamp: secs(e.startedAt),
              ...(e.endedAt !== undefined ? { EndTimestamp: secs(e.endedAt) } : {}),
            })),
            ...(out.more ? { NextMarker: String(offset + limit) } : {}),
          },
        };
      },
    },
    {
      op: 'StopDurableExecution',
      method: 'POST',
      path: '/2025-12-01/durable-executions/{DurableExecutionArn}/stop',
      handler: async (req) => {
        // The Error member is the request's payload (the whole body).
        const e = req.body.length ? shape(ErrorShape, parseJsonBody(req.body)) : undefined;
        return { body: { StopTimestamp: secs(await x.stop(arnOf(req), e)) } };
      },
    },
    {
      op: 'SendDurableExecutionCallbackSuccess',
      method: 'POST',
      path: '/2025-12-01/durable-execution-callbacks/{CallbackId}/succeed',
      maxBody: 262_144,
      validation: false,
      handler: async (req) => {
        await x.completeCallback(req.params['CallbackId'] ?? '', { result: req.body.toString('utf8') });
        return { body: {} };
      },
    },
    {
      op: 'SendDurableExecutionCallbackFailure',
      method: 'POST',
      path: '/2025-12-01/durable-execution-callbacks/{CallbackId}/fail',
      handler: async (req) => {
        const e = req.body.length ? shape(ErrorShape, parseJsonBody(req.body)) : undefined;
        await x.completeCallback(req.params['CallbackId'] ?? '', { error: e });
        return { body: {} };
      },
    },
    {
      op: 'SendDurableExecutionCallbackHeartbeat',
      method: 'POST',
      path: '/2025-12-01/durable-execution-callbacks/{CallbackId}/heartbeat',
      handler: async (req) => {
        await x.heartbeatCallback(req.params['CallbackId'] ?? '');
        return { body: {} };
      },
    },
  ];
}
