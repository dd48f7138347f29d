// Reads a request body up to a limit; over the limit it stops buffering at once and discards the rest.
import type { IncomingMessage } from 'node:http';

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`body over ${limit} bytes`);
  }
}

/** Drains (without keeping) what is left of a refused body, then gives up on the connection. */
function discard(req: IncomingMessage): void {
  let seen = 0;
  const cap = 64 * 1024 * 1024;
  req.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen > cap) req.socket.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    discard(req);
    return Promise.reject(new BodyTooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        chunks.length = 0;
        discard(req);
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (!done) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (e) => {
      if (!done) reject(e);
    });
  });
}
