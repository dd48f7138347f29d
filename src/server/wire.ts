// Serialises responses and AWS-shaped errors for each protocol (rest-json, JSON 1.0/1.1, query/XML).
import type { ServerResponse } from 'node:http';
import type { AwsError } from '../lib/errors.js';

export type Protocol = 'rest' | 'json' | 'query';

const xmlEscape = (s: string): string =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

export function sendError(res: ServerResponse, err: AwsError, protocol: Protocol, requestId: string, namespace?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let status: number;
  let body: string;
  let contentType: string;
  const headers: Record<string, string> = { 'x-amzn-RequestId': requestId, ...err.headers };
  if (protocol === 'query') {
    status = err.jsonStatus;
    contentType = 'text/xml';
    body =
      `<?xml version="1.0"?><ErrorResponse><Error><Type>${err.status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
      `<Code>${xmlEscape(err.queryCode ?? err.code)}</Code><Message>${xmlEscape(err.message)}</Message><Detail/></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`;
  } else if (protocol === 'json') {
    status = err.jsonStatus;
    contentType = 'application/x-amz-json-1.0';
    headers['x-amzn-ErrorType'] = err.code;
    if (err.queryCode) headers['x-amzn-query-error'] = `${err.queryCode};${err.status >= 500 ? 'Receiver' : 'Sender'}`;
    body = JSON.stringify({ __type: namespace ? `${namespace}#${err.code}` : err.code, message: err.message, Message: err.message, ...err.fields });
  } else {
    status = err.status;
    contentType = 'application/json';
    headers['x-amzn-ErrorType'] = err.code;
    body = JSON.stringify({ Type: err.fault, message: err.message, Message: err.message, ...err.fields });
  }
  headers['content-type'] = contentType;
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body);
}

export function sendBody(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown, jsonType: string): void {
  let buf: Buffer | undefined;
  if (body === undefined || body === null) buf = undefined;
  else if (Buffer.isBuffer(body)) buf = body;
  else if (typeof body === 'string') buf = Buffer.from(body);
  else {
    buf = Buffer.from(JSON.stringify(body));
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = jsonType;
  }
  headers['content-length'] = String(buf?.length ?? 0);
  res.writeHead(status, headers);
  res.end(buf);
}
