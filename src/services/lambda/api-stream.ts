// InvokeWithResponseStream: runs a function with a stream sink and relays its bytes as AWS event-stream messages
// (PayloadChunk… then InvokeComplete), the binary framing @aws-sdk/client-lambda decodes.
import type { ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { InvokeResult } from '../../engine/types.js';
import { AwsError } from '../../lib/errors.js';
import type { ApiRequest, ApiResponse, RestRoute } from '../../server/types.js';
import { dryRun, MAX_SYNC_PAYLOAD, readInvoke } from './api-invoke.js';
import type { LambdaInvoker } from './invoker.js';

/** Encodes one event-stream message: prelude (lengths + CRC), string headers, payload, message CRC. */
export function eventMessage(headers: Record<string, string>, payload: Buffer): Buffer {
  const hs: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name);
    const v = Buffer.from(value);
    const h = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
    h.writeUInt8(n.length, 0);
    n.copy(h, 1);
    h.writeUInt8(7, 1 + n.length); // type 7: string
    h.writeUInt16BE(v.length, 2 + n.length);
    v.copy(h, 4 + n.length);
    hs.push(h);
  }
  const head = Buffer.concat(hs);
  const total = 12 + head.length + payload.length + 4;
  const msg = Buffer.alloc(total);
  msg.writeUInt32BE(total, 0);
  msg.writeUInt32BE(head.length, 4);
  msg.writeUInt32BE(crc32(msg.subarray(0, 8)), 8);
  head.copy(msg, 12);
  payload.copy(msg, 12 + head.length);
  msg.writeUInt32BE(crc32(msg.subarray(0, total - 4)), total - 4);
  return msg;
}

export const payloadChunk = (bytes: Buffer): Buffer =>
  eventMessage({ ':event-type': 'PayloadChunk', ':content-type': 'application/octet-stream', ':message-type': 'event' }, bytes);

export function invokeComplete(r: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string }): Buffer {
  return eventMessage({ ':event-type': 'InvokeComplete', ':content-type': 'application/json', ':message-type': 'event' }, Buffer.from(JSON.stringify(r)));
}

/** What InvokeComplete says about a finished invocation. */
function completion(r: InvokeResult): { ErrorCode?: string; ErrorDetails?: string; LogResult?: string } {
  const out: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string } = {};
  if (r.streamError) {
    out.ErrorCode = r.streamError.errorCode;
    out.ErrorDetails = r.streamError.errorDetails;
  } else if (r.functionError) {
    out.ErrorCode = r.functionError;
    out.ErrorDetails = r.payload.toString('utf8');
  }
  if (r.logResult !== undefined) out.LogResult = r.logResult;
  return out;
}

export function streamRoutes(d: { invoker: LambdaInvoker }): RestRoute[] {
  const handler = async (req: ApiRequest): Promise<ApiResponse> => {
    const { type, resolved, input } = readInvoke(req, d.invoker, ['RequestResponse', 'DryRun']);
    if (type === 'DryRun') return dryRun(resolved);
    const body = new PassThrough();
    let onStart: () => void = () => undefined;
    const started = new Promise<void>((r) => (onStart = r));
    const run = d.invoker.invoke({ ...input(), stream: { start: () => onStart(), body } });
    // Errors before any byte (throttles, init failures surfacing as AwsErrors) are ordinary AWS errors.
    await Promise.race([started, run]);
    return {
      status: 200,
      stream: async (res: ServerResponse) => {
        res.writeHead(200, {
          'content-type': 'application/vnd.amazon.eventstream',
          'X-Amz-Executed-Version': resolved.version,
          'x-amzn-RequestId': req.requestId,
        });
        body.on('data', (chunk: Buffer) => res.write(payloadChunk(chunk)));
        let result: InvokeResult;
        try {
          result = await run;
        } catch (e) {
          const err = e instanceof AwsError ? e : new AwsError('ServiceException', 'An internal error occurred.');
          body.end();
          res.end(invokeComplete({ ErrorCode: err.code, ErrorDetails: err.message }));
          return;
        }
        await new Promise<void>((r) => {
          body.once('end', r);
          body.end();
        });
        if (!result.streamed && result.payload.length > 0) res.write(payloadChunk(result.payload));
        res.end(invokeComplete(completion(result)));
      },
    };
  };
  return [
    {
      op: 'InvokeWithResponseStream',
      method: 'POST',
      path: '/2021-11-15/functions/{FunctionName}/response-streaming-invocations',
      maxBody: MAX_SYNC_PAYLOAD,
      tooLarge: () => new AwsError('RequestTooLargeException', `Request must be smaller than ${MAX_SYNC_PAYLOAD} bytes for the InvokeFunction operation`),
      handler,
    },
  ];
}
