// What async outcomes look like on the wire: AWS's invocation record (destinations) and dead-letter message.
import type { OutgoingMessage } from '../../sqs/index.js';
import type { AsyncEvent } from './event-store.js';

export type Condition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

export interface ResponseInfo {
  statusCode: number;
  executedVersion?: string;
  functionError?: string;
  payload?: Buffer;
}

/** A payload as the record carries it: the JSON value when it parses, else the text. */
function jsonOrText(b: Buffer | undefined): unknown {
  if (b === undefined || b.length === 0) return null;
  const text = b.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** AWS's async invocation record (version 1.0), as sent to OnSuccess/OnFailure destinations. */
export function invocationRecord(now: number, e: AsyncEvent, functionArn: string, condition: Condition, r: ResponseInfo): Record<string, unknown> {
  const responseContext: Record<string, unknown> = { statusCode: r.statusCode };
  if (r.executedVersion !== undefined) responseContext['executedVersion'] = r.executedVersion;
  if (r.functionError !== undefined) responseContext['functionError'] = r.functionError;
  const record: Record<string, unknown> = {
    version: '1.0',
    timestamp: new Date(now).toISOString(),
    requestContext: { requestId: e.id, functionArn, condition, approximateInvokeCount: e.invokeCount },
    requestPayload: jsonOrText(e.payload),
    responseContext,
  };
  if (r.payload !== undefined) record['responsePayload'] = jsonOrText(r.payload);
  return record;
}

/** The original event with AWS's DLQ attributes: RequestID, ErrorCode (the HTTP status), ErrorMessage (≤ 1 KB). */
export function deadLetterMessage(e: AsyncEvent, errorCode: string, errorMessage: string): OutgoingMessage {
  const msg = Buffer.from(errorMessage, 'utf8').subarray(0, 1024).toString('utf8').replace(/\uFFFD+$/, '');
  return {
    body: e.payload.toString('utf8'),
    messageAttributes: {
      RequestID: { DataType: 'String', StringValue: e.id },
      ErrorCode: { DataType: 'Number', StringValue: errorCode },
      ...(msg ? { ErrorMessage: { DataType: 'String', StringValue: msg } } : {}),
    },
  };
}
