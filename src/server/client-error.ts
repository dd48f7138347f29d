// Answers what Node's HTTP parser refuses (bad request lines, methods, versions, header blocks, lengths) with a
// well-formed AWS-style error in the shape the request suggests, instead of Node's empty 400/431 or a reset.
import type { Socket } from 'node:net';
import { uuid } from '../lib/ids.js';

interface ParserError extends Error {
  code?: string;
  reason?: string;
  rawPacket?: Buffer;
}

/** The status, code and message of a parser refusal. */
export function classify(err: ParserError): { status: number; code: string; message: string } {
  const raw = err.rawPacket?.toString('latin1') ?? '';
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW': {
      // The request line alone over the limit is an over-long URI; otherwise the header block is.
      if (!raw.includes('\r\n') && !raw.includes('\n')) return { status: 414, code: 'RequestURITooLong', message: 'The request URI is too long.' };
      return { status: 431, code: 'RequestHeaderSectionTooLarge', message: 'Your request header section exceeds the maximum allowed size.' };
    }
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return { status: 408, code: 'RequestTimeout', message: 'Your socket connection to the server was not read from or written to within the timeout period.' };
    case 'HPE_INVALID_METHOD':
      return { status: 405, code: 'MethodNotAllowed', message: 'The specified method is not allowed against this resource.' };
    case 'HPE_INVALID_VERSION':
      return { status: 505, code: 'HttpVersionNotSupported', message: 'The HTTP version specified is not supported.' };
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return { status: 400, code: 'BadRequest', message: `The request has an invalid or conflicting Content-Length or Transfer-Encoding header.` };
    case 'HPE_INVALID_CHUNK_SIZE':
      return { status: 400, code: 'IncompleteBody', message: 'The request body is not valid chunked encoding.' };
    default:
      return { status: 400, code: 'BadRequest', message: 'The request could not be parsed as HTTP.' };
  }
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 405: 'Method Not Allowed', 408: 'Request Timeout', 414: 'URI Too Long', 431: 'Request Header Fields Too Large', 505: 'HTTP Version Not Supported' };

const xmlEscape = (s: string): string => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** The whole HTTP response (head and body) for a refusal, shaped by what the raw bytes seen so far suggest. */
export function clientErrorResponse(err: ParserError, requestId = uuid()): string {
  // 505 would tell a client speaking a version we do not know nothing it can act on; AWS's fronts answer 400.
  let { status, code, message } = classify(err);
  if (status === 505) status = 400;
  const raw = (err.rawPacket?.toString('latin1') ?? '').toLowerCase();
  let body: string;
  let type: string;
  const headers: string[] = [];
  if (/\r?\nx-amz-target:/.test(raw)) {
    type = 'application/x-amz-json-1.0';
    body = JSON.stringify({ __type: code, message });
  } else if (/\r?\ncontent-type:\s*application\/x-www-form-urlencoded/.test(raw) || /\r?\ncontent-type:\s*(text|application)\/xml/.test(raw)) {
    type = 'text/xml';
    body = `<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message><Detail/></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  } else {
    type = 'application/json';
    body = JSON.stringify({ Type: 'User', message, Message: message });
  }
  headers.push(`x-amzn-RequestId: ${requestId}`, `x-amzn-ErrorType: ${code}`, `Content-Type: ${type}`, `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close');
  return `HTTP/1.1 ${status} ${REASONS[status] ?? 'Bad Request'}\r\n${headers.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * The `clientError` listener: writes the answer and closes the connection gently: what the client is still sending
 * is read and dropped for a moment, so that the kernel does not reset the connection before the answer is read.
 */
export function onClientError(err: ParserError, socket: Socket): void {
  // A response already under way on this connection cannot be followed by another one.
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || socket.destroyed || current?.headersSent) {
    socket.destroy();
    return;
  }
  try {
    socket.end(clientErrorResponse(err));
  } catch {
    socket.destroy();
    return;
  }
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  socket.resume();
  setTimeout(() => socket.destroy(), 2000).unref();
}
