// Request bodies of uploads, streamed: aws-chunked decoding (signed chunks and unsigned chunks with checksum
// trailers), the size rules, and the MD5 / flexible checksum computed on the way and checked before the blob exists.
import type { IncomingMessage } from 'node:http';
import { createHash, type Hash } from 'node:crypto';
import { chunkSignatureMismatch, contentShaMismatch } from '../../server/auth-errors.js';
import { chunkSigning, type ChunkSigning } from '../../server/sigv4-verify.js';
import { chunkStringToSign, hmacHex } from '../../server/sigv4.js';
import { type ChecksumAlgorithm, checksumHeader, digestBytes, digester, type Digester, isAlgorithm, ALGORITHMS } from './checksums.js';
import { badDigest, entityTooLarge, incompleteBody, invalidArgument, invalidDigest, invalidRequest, missingContentLength } from './errors.js';

export const MAX_PUT = 5 * 1024 * 1024 * 1024;

/**
 * Decodes an aws-chunked body: `<hex>[;chunk-signature=…]\r\n<data>\r\n … 0…\r\n[trailer: value\r\n]*\r\n`.
 * With `signing` (a verified STREAMING-AWS4-HMAC-SHA256-PAYLOAD request) each chunk's signature must chain from the
 * seed signature; a bad one stops the upload before the blob exists.
 */
export async function* dechunk(src: AsyncIterable<Buffer>, trailers: Map<string, string>, signing?: ChunkSigning): AsyncIterable<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let remaining = 0;
  let previous = signing?.seed ?? '';
  let claimed = '';
  let hash: Hash | undefined;
  const verifyChunk = (): void => {
    if (!signing) return;
    const expected = hmacHex(signing.key, chunkStringToSign(signing.amzDate, signing.scope, previous, (hash ?? createHash('sha256')).digest('hex')));
    if (expected !== claimed) throw chunkSignatureMismatch();
    previous = expected;
    hash = undefined;
  };
  let state: 'header' | 'data' | 'crlf' | 'trailer' | 'done' = 'header';
  const bad = (): Error => invalidRequest('The request body is not valid aws-chunked encoding.');
  for await (const raw of src) {
    let buf: Buffer = pending.length ? Buffer.concat([pending, raw]) : raw;
    pending = Buffer.alloc(0);
    while (buf.length > 0) {
      if (state === 'data') {
        const n = Math.min(remaining, buf.length);
        hash?.update(buf.subarray(0, n));
        yield buf.subarray(0, n);
        buf = buf.subarray(n);
        remaining -= n;
        if (remaining === 0) {
          verifyChunk();
          state = 'crlf';
        }
        continue;
      }
      if (state === 'crlf') {
        if (buf.length < 2) break;
        if (buf[0] !== 13 || buf[1] !== 10) throw bad();
        buf = buf.subarray(2);
        state = 'header';
        continue;
      }
      if (state === 'done') {
        buf = buf.subarray(buf.length);
        continue;
      }
      const eol = buf.indexOf('\r\n');
      if (eol < 0) {
        if (buf.length > 8192) throw bad();
        break;
      }
      const line = buf.subarray(0, eol).toString('latin1');
      buf = buf.subarray(eol + 2);
      if (state === 'header') {
        const [sizeText, ...ext] = line.split(';');
        const size = parseInt(sizeText!.trim(), 16);
        if (!Number.isFinite(size) || size < 0) throw bad();
        if (signing) {
          claimed = ext.map((x) => x.trim()).find((x) => x.startsWith('chunk-signature='))?.slice('chunk-signature='.length) ?? '';
          hash = createHash('sha256');
        }
        if (size === 0) {
          verifyChunk();
          state = 'trailer';
        } else {
          remaining = size;
          state = 'data';
        }
      } else if (line === '') state = 'done';
      else {
        const c = line.indexOf(':');
        if (c > 0) trailers.set(line.slice(0, c).trim().toLowerCase(), line.slice(c + 1).trim());
      }
    }
    pending = buf.length ? Buffer.from(buf) : pending;
  }
  if (state === 'data' || state === 'header' && pending.length > 0) throw incompleteBody();
}

export interface UploadBody {
  source: AsyncIterable<Buffer>;
  /** Verifies Content-MD5 and the declared checksum (header or trailer) once the body is in; throws BadDigest. */
  check(): Promise<void>;
  /** After check(): the bytes' MD5 (hex) and checksum (base64) if an algorithm was asked for or declared. */
  md5(): string;
  checksum(): { algorithm: ChecksumAlgorithm; value: string } | undefined;
  size(): number;
}

function header(req: IncomingMessage, n: string): string | undefined {
  const v = req.headers[n];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Which checksum the request declares: x-amz-checksum-<alg> header, x-amz-trailer, or x-amz-sdk-checksum-algorithm. */
function declared(req: IncomingMessage): { algorithm: ChecksumAlgorithm; value?: string; trailer?: string } | undefined {
  const trailer = header(req, 'x-amz-trailer')?.trim().toLowerCase();
  if (trailer?.startsWith('x-amz-checksum-')) {
    const a = trailer.slice('x-amz-checksum-'.length).toUpperCase();
    if (!isAlgorithm(a)) throw invalidRequest('The value specified in the x-amz-trailer header is not supported');
    return { algorithm: a, trailer };
  }
  const present = ALGORITHMS.filter((a) => header(req, checksumHeader(a)) !== undefined);
  if (present.length > 1) throw invalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  if (present.length === 1) {
    const a = present[0]!;
    return { algorithm: a, value: header(req, checksumHeader(a)) };
  }
  const sdk = header(req, 'x-amz-sdk-checksum-algorithm')?.toUpperCase();
  if (sdk !== undefined) {
    if (!isAlgorithm(sdk)) throw invalidRequest('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
    return { algorithm: sdk };
  }
  return undefined;
}

/**
 * Reads an upload's body as a stream. `max` is the largest size allowed (5 GB for PutObject and UploadPart): a larger
 * declared length is refused before a byte is read.
 */
export function uploadBody(req: IncomingMessage, max = MAX_PUT): UploadBody {
  const sha = header(req, 'x-amz-content-sha256') ?? '';
  const chunked = sha.startsWith('STREAMING-') || /aws-chunked/i.test(header(req, 'content-encoding') ?? '');
  const lenText = chunked ? header(req, 'x-amz-decoded-content-length') : header(req, 'content-length');
  if (lenText === undefined && header(req, 'transfer-encoding') === undefined && !chunked) throw missingContentLength();
  const expected = lenText === undefined ? undefined : Number(lenText);
  if (expected !== undefined && (!Number.isFinite(expected) || expected < 0)) throw invalidArgument('x-amz-decoded-content-length is invalid', 'x-amz-decoded-content-length', lenText);
  if (expected !== undefined && expected > max) throw entityTooLarge(expected, max);
  const contentMd5 = header(req, 'content-md5');
  if (contentMd5 !== undefined && Buffer.from(contentMd5, 'base64').length !== 16) throw invalidDigest();
  const want = declared(req);
  if (want?.value !== undefined && Buffer.from(want.value, 'base64').length !== digestBytes(want.algorithm)) {
    throw invalidRequest(`Value for x-amz-checksum-${want.algorithm.toLowerCase()} header is invalid.`);
  }
  const trailers = new Map<string, string>();
  const md5 = createHash('md5');
  const dig: Digester | undefined = want ? digester(want.algorithm) : undefined;
  let size = 0;
  let md5Hex = '';
  let sum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  const body = chunked ? dechunk(req, trailers, chunkSigning(req)) : (req as AsyncIterable<Buffer>);
  // A declared hex payload hash is what was signed: the body must be it.
  const shaHash = /^[0-9a-f]{64}$/i.test(sha) ? createHash('sha256') : undefined;
  async function* source(): AsyncIterable<Buffer> {
    for await (const c of body) {
      size += c.length;
      if (size > max) throw entityTooLarge(size, max);
      md5.update(c);
      dig?.update(c);
      shaHash?.update(c);
      yield c;
    }
    if (expected !== undefined && size !== expected) throw incompleteBody();
    if (shaHash) {
      const computed = shaHash.digest('hex');
      if (computed !== sha.toLowerCase()) throw contentShaMismatch(sha, computed);
    }
  }
  return {
    source: source(),
    async check() {
      const m = md5.digest();
      md5Hex = m.toString('hex');
      if (contentMd5 !== undefined && m.toString('base64') !== contentMd5) throw badDigest();
      if (want && dig) {
        const value = await dig.digest();
        const given = want.value ?? (want.trailer ? trailers.get(want.trailer) : undefined);
        if (given !== undefined && given !== value) throw badDigest(`The ${want.algorithm} you specified did not match the calculated checksum.`);
        sum = { algorithm: want.algorithm, value };
      }
    },
    md5: () => md5Hex,
    checksum: () => sum,
    size: () => size,
  };
}
