// What a request's SigV4 signature proves: the caller it speaks for (or why not, as an AuthFailure the protocol's
// error table turns into AWS's answer), under the node's auth mode; and the chunk signing state of aws-chunked uploads.
import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AuthMode, Caller, CredentialSource } from './auth.js';
import {
  amzTime,
  canonicalHeaders,
  canonicalPaths,
  canonicalQuery,
  canonicalRequest,
  hmacHex,
  MalformedAuth,
  parseClaim,
  sha256Hex,
  signingKey,
  stringToSign,
  toAmzDate,
  type SignedClaim,
} from './sigv4.js';

export const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 604800;

export type AuthFailureKind =
  | 'missing'
  | 'malformed'
  | 'unknown-key'
  | 'inactive-key'
  | 'bad-token'
  | 'expired-token'
  | 'bad-signature'
  | 'skew'
  | 'presign-expired'
  | 'missing-content-sha';

export interface AuthFailureDetail {
  accessKeyId?: string;
  message?: string;
  amzDate?: string;
  serverDate?: string;
  /** For bad-signature: what the server signed (S3 shows it). */
  canonicalRequest?: string;
  stringToSign?: string;
  signatureProvided?: string;
  sessionToken?: string;
  expires?: string;
}

/** A request whose signature does not prove a caller; auth-errors.ts answers it as the protocol's AWS error. */
export class AuthFailure extends Error {
  constructor(
    readonly kind: AuthFailureKind,
    readonly detail: AuthFailureDetail = {},
  ) {
    super(`${kind}${detail.message ? `: ${detail.message}` : ''}`);
  }
}

export interface VerifyInput {
  req: IncomingMessage;
  /** S3 signs the path as sent and the payload hash as declared; other services the encoded path and the body. */
  s3: boolean;
  /** Non-S3: the request body, whose hash was signed (absent: the declared hash or the empty body's). */
  body?: Buffer;
  /** Unsigned requests are served anonymously even in enforce mode (function URLs with AuthType NONE). */
  anonymousAllowed?: boolean;
}

/** The per-request state an aws-chunked body's chunk signatures are checked with. */
export interface ChunkSigning {
  key: Buffer;
  amzDate: string;
  scope: string;
  seed: string;
}

const chunkState = new WeakMap<IncomingMessage, ChunkSigning>();

/** The chunk signing state of a verified STREAMING-AWS4-HMAC-SHA256-PAYLOAD request (undefined otherwise). */
export function chunkSigning(req: IncomingMessage): ChunkSigning | undefined {
  return chunkState.get(req);
}

export interface AuthenticatorOptions {
  mode: AuthMode;
  accountId: string;
  credentials: CredentialSource;
  now: () => number;
}

function header(req: IncomingMessage, n: string): string | undefined {
  const v = req.headers[n];
  return Array.isArray(v) ? v.join(',') : v;
}

export class Authenticator {
  readonly root: Caller;

  constructor(private readonly o: AuthenticatorOptions) {
    this.root = { arn: `arn:aws:iam::${o.accountId}:root`, accountId: o.accountId, userId: o.accountId, kind: 'root' };
  }

  get mode(): AuthMode {
    return this.o.mode;
  }

  /**
   * The caller a request is verified as. Unsigned: the root in dev mode, undefined where anonymous access is allowed,
   * else AuthFailure('missing'). Signed: it must be signed correctly by a known, active key, in time.
   */
  async verify(input: VerifyInput): Promise<Caller | undefined> {
    const { req } = input;
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
    const wirePath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    let claim: SignedClaim | undefined;
    try {
      claim = parseClaim(req.headers, new URLSearchParams(rawQuery));
    } catch (e) {
      if (e instanceof MalformedAuth) throw new AuthFailure('malformed', { message: e.message });
      throw e;
    }
    if (!claim) {
      if (this.o.mode === 'dev') return this.root;
      if (input.anonymousAllowed) return undefined;
      throw new AuthFailure('missing');
    }
    const now = this.o.now();
    const signedAt = claim.amzDate === undefined ? Number.NaN : amzTime(claim.amzDate);
    if (Number.isNaN(signedAt)) throw new AuthFailure('malformed', { message: `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"` });
    const cred = await this.o.credentials.lookup(claim.accessKeyId);
    if (!cred) throw new AuthFailure('unknown-key', { accessKeyId: claim.accessKeyId });
    if (!cred.active) throw new AuthFailure('inactive-key', { accessKeyId: claim.accessKeyId });
    if ((cred.sessionToken ?? '') !== (claim.sessionToken ?? '')) throw new AuthFailure('bad-token', { accessKeyId: claim.accessKeyId, sessionToken: claim.sessionToken });
    if (cred.expiresAt !== undefined && now > cred.expiresAt) throw new AuthFailure('expired-token', { accessKeyId: claim.accessKeyId, sessionToken: claim.sessionToken });
    const times = { amzDate: claim.amzDate, serverDate: toAmzDate(now) };
    if (claim.form === 'query') {
      const exp = claim.expires;
      if (exp !== undefined) {
        if (!/^\d+$/.test(exp)) throw new AuthFailure('malformed', { message: 'X-Amz-Expires should be a number' });
        if (+exp > MAX_PRESIGN_SECONDS) throw new AuthFailure('malformed', { message: 'X-Amz-Expires must be less than a week (in seconds) that is 604800' });
        if (now > signedAt + +exp * 1000) throw new AuthFailure('presign-expired', { ...times, expires: toAmzDate(signedAt + +exp * 1000) });
      }
    } else if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
      throw new AuthFailure('skew', times);
    }
    const payload = this.payloadHash(input, claim);
    const key = signingKey(cred.secretAccessKey, claim.date, claim.region, claim.service);
    const query = canonicalQuery(rawQuery);
    const headers = canonicalHeaders(req, claim.signedHeaders);
    const method = req.method ?? 'GET';
    let first: { canonical: string; sts: string } | undefined;
    for (const path of canonicalPaths(wirePath, input.s3)) {
      const canonical = canonicalRequest(method, path, query, headers, claim.signedHeaders, payload);
      const sts = stringToSign(claim.amzDate!, claim.scope, canonical);
      first ??= { canonical, sts };
      if (sameHex(hmacHex(key, sts), claim.signature)) {
        if (payload.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD')) chunkState.set(req, { key, amzDate: claim.amzDate!, scope: claim.scope, seed: claim.signature });
        return cred.caller;
      }
    }
    throw new AuthFailure('bad-signature', { accessKeyId: claim.accessKeyId, canonicalRequest: first?.canonical, stringToSign: first?.sts, signatureProvided: claim.signature });
  }

  private payloadHash(input: VerifyInput, claim: SignedClaim): string {
    const declared = header(input.req, 'x-amz-content-sha256');
    if (input.s3) {
      if (declared !== undefined) return declared;
      // A presigned URL signs no payload; a header-signed S3 request must say what it signed.
      if (claim.form === 'query') return 'UNSIGNED-PAYLOAD';
      throw new AuthFailure('missing-content-sha');
    }
    if (declared === 'UNSIGNED-PAYLOAD') return declared;
    if (input.body === undefined) return declared ?? sha256Hex('');
    return sha256Hex(input.body);
  }
}

function sameHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
