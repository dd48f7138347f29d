// The server-level authentication errors: for each protocol family (JSON and rest-json, query, S3, function URLs)
// the code, HTTP status and message AWS answers a request whose signature proves no caller with.
import { AwsError } from '../lib/errors.js';
import type { AuthFailure } from './sigv4-verify.js';

export type AuthFamily = 'json' | 'query' | 's3' | 'url';

const BAD_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';
const EXPIRED_TOKEN = 'The security token included in the request is expired';

const e = (code: string, status: number, message: string, fields: Record<string, unknown> = {}): AwsError => new AwsError(code, message, { status, fields });

/** `Signature expired: <signed> is now earlier than <now - 15 min> (<now> - 15 min.)`, or its future twin. */
function skewMessage(f: AuthFailure): string {
  const signed = f.detail.amzDate ?? '';
  const now = f.detail.serverDate ?? '';
  const shift = (d: string, mins: number): string => {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(d);
    if (!m) return d;
    const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]! + mins, +m[6]!);
    return new Date(t).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  };
  return signed < now
    ? `Signature expired: ${signed} is now earlier than ${shift(now, -15)} (${now} - 15 min.)`
    : `Signature not yet current: ${signed} is still later than ${shift(now, 15)} (${now} + 15 min.)`;
}

/** JSON 1.0/1.1 and rest-json services (Lambda, DynamoDB, KMS, SQS's JSON, Logs, …). */
function jsonError(f: AuthFailure): AwsError {
  switch (f.kind) {
    case 'missing':
      return e('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
    case 'malformed':
    case 'missing-content-sha':
      return e('IncompleteSignatureException', 400, f.detail.message ?? 'Authorization header is incomplete.');
    case 'unknown-key':
    case 'inactive-key':
    case 'bad-token':
      return e('UnrecognizedClientException', 403, INVALID_TOKEN);
    case 'expired-token':
      return e('ExpiredTokenException', 403, EXPIRED_TOKEN);
    case 'skew':
      return e('InvalidSignatureException', 403, skewMessage(f));
    case 'presign-expired':
      return e('InvalidSignatureException', 403, `Signature expired: ${f.detail.expires ?? ''} is now earlier than ${f.detail.serverDate ?? ''}`);
    case 'bad-signature':
      return e('InvalidSignatureException', 403, BAD_SIGNATURE);
  }
}

/** Query services (SNS, SQS's query form, CloudFormation, IAM, STS). */
function queryError(f: AuthFailure): AwsError {
  switch (f.kind) {
    case 'missing':
      return e('MissingAuthenticationToken', 403, 'Request is missing Authentication Token');
    case 'malformed':
    case 'missing-content-sha':
      return e('IncompleteSignature', 400, f.detail.message ?? 'Request is missing Authentication Token');
    case 'unknown-key':
    case 'inactive-key':
    case 'bad-token':
      return e('InvalidClientTokenId', 403, INVALID_TOKEN);
    case 'expired-token':
      return e('ExpiredToken', 403, EXPIRED_TOKEN);
    case 'skew':
      return e('SignatureDoesNotMatch', 403, skewMessage(f));
    case 'presign-expired':
      return e('SignatureDoesNotMatch', 403, `Signature expired: ${f.detail.expires ?? ''} is now earlier than ${f.detail.serverDate ?? ''}`);
    case 'bad-signature':
      return e('SignatureDoesNotMatch', 403, BAD_SIGNATURE);
  }
}

const hexBytes = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' ');

/** S3's answers, with the members S3 puts in its <Error> (StringToSign, CanonicalRequest, AWSAccessKeyId, …). */
function s3Error(f: AuthFailure): AwsError {
  const d = f.detail;
  switch (f.kind) {
    case 'missing':
      return e('AccessDenied', 403, 'Access Denied');
    case 'malformed':
      return d.message?.startsWith('X-Amz-') || d.message?.startsWith('Query-string')
        ? e('AuthorizationQueryParametersError', 400, d.message)
        : e('AuthorizationHeaderMalformed', 400, `The authorization header is malformed; ${d.message ?? ''}`);
    case 'missing-content-sha':
      return e('InvalidRequest', 400, 'Missing required header for this request: x-amz-content-sha256');
    case 'unknown-key':
    case 'inactive-key':
      return e('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: d.accessKeyId });
    case 'bad-token':
      return e('InvalidToken', 400, 'The provided token is malformed or otherwise invalid.', { 'Token-0': d.sessionToken ?? '' });
    case 'expired-token':
      return e('ExpiredToken', 400, 'The provided token has expired.', { 'Token-0': d.sessionToken ?? '' });
    case 'skew':
      return e('RequestTimeTooSkewed', 403, 'The difference between the request time and the current time is too large.', {
        RequestTime: d.amzDate,
        ServerTime: d.serverDate,
        MaxAllowedSkewMilliseconds: 900000,
      });
    case 'presign-expired':
      return e('AccessDenied', 403, 'Request has expired', { 'X-Amz-Expires': d.expires, Expires: d.expires, ServerTime: d.serverDate });
    case 'bad-signature':
      return e('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
        AWSAccessKeyId: d.accessKeyId,
        StringToSign: d.stringToSign,
        SignatureProvided: d.signatureProvided,
        StringToSignBytes: hexBytes(d.stringToSign ?? ''),
        CanonicalRequest: d.canonicalRequest,
        CanonicalRequestBytes: hexBytes(d.canonicalRequest ?? ''),
      });
  }
}

/** A function URL with AuthType AWS_IAM answers every failed authentication with 403 `{"Message":"Forbidden"}`. */
function urlError(): AwsError {
  return e('Forbidden', 403, 'Forbidden');
}

export function authError(f: AuthFailure, family: AuthFamily): AwsError {
  switch (family) {
    case 'json':
      return jsonError(f);
    case 'query':
      return queryError(f);
    case 's3':
      return s3Error(f);
    case 'url':
      return urlError();
  }
}

/** S3: the declared x-amz-content-sha256 is not the body's. */
export function contentShaMismatch(declared: string, computed: string): AwsError {
  return e('XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed.", {
    ClientComputedContentSHA256: declared,
    S3ComputedContentSHA256: computed,
  });
}

/** S3: a chunk of an aws-chunked body whose chunk-signature is not the one its predecessor chains to. */
export function chunkSignatureMismatch(): AwsError {
  return e('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
}
