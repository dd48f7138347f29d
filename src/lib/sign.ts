// The one small SigV4 signer of selfless's own HTTP callers (the CLI, CloudFormation's loopback calls, benches and
// tests): @smithy/signature-v4, the SDK's own signer, so that what they send is what the SDK would send.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigningKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** node:crypto behind the SDK's Checksum interface (HMAC when given a secret). */
class Sha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key =
      secret === undefined ? undefined : typeof secret === 'string' ? secret : secret instanceof ArrayBuffer ? Buffer.from(secret) : Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
    this.h = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  }
  update(data: string | Uint8Array): void {
    this.h.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
  reset(): void {}
}

export interface SignInput {
  method: string;
  url: string;
  service: string;
  region: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  key: SigningKey;
}

/** The request's headers with the SigV4 ones added (authorization, x-amz-date, x-amz-content-sha256 for S3, host). */
export async function signedHeaders(i: SignInput): Promise<Record<string, string>> {
  const u = new URL(i.url);
  const s3 = i.service === 's3';
  const signer = new SignatureV4({ service: i.service, region: i.region, credentials: i.key, sha256: Sha256, uriEscapePath: !s3, applyChecksum: s3 });
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of u.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const headers: Record<string, string> = { host: u.host, ...(i.headers ?? {}) };
  const signed = await signer.sign({
    method: i.method,
    protocol: u.protocol,
    hostname: u.hostname,
    port: u.port === '' ? undefined : Number(u.port),
    path: u.pathname,
    query,
    headers,
    body: i.body,
  });
  return signed.headers as Record<string, string>;
}

/** The CLI's key: the user's AWS_* environment, else the local development default. */
export function envKey(): SigningKey {
  const e = process.env;
  return {
    accessKeyId: e['AWS_ACCESS_KEY_ID'] || 'test',
    secretAccessKey: e['AWS_SECRET_ACCESS_KEY'] || 'test',
    ...(e['AWS_SESSION_TOKEN'] ? { sessionToken: e['AWS_SESSION_TOKEN'] } : {}),
  };
}

/** fetch() with a signed request: the body must be a string or bytes (it is hashed). */
export async function signedFetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array }, service: string, region: string, key: SigningKey): Promise<Response> {
  const method = init.method ?? 'GET';
  const headers = await signedHeaders({ method, url, service, region, headers: init.headers, body: init.body, key });
  // fetch sets host itself; sending it twice is harmless but undici refuses a forbidden header name.
  delete headers['host'];
  return fetch(url, { method, headers, body: init.body as BodyInit | undefined });
}
