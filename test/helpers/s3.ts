// An S3 SDK client pointed at a test server (path style), and a raw HTTP request helper for what the SDK hides.
import { request } from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import { signedHeaders } from '../../src/lib/sign.js';

const TEST_KEY = { accessKeyId: 'test', secretAccessKey: 'test' };

export function s3Client(url: string, region = 'us-east-1'): S3Client {
  return new S3Client({ endpoint: url, region, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
}


export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * A raw S3 request, signed for S3 with test/test (as the SDK signs it) unless `headers` carries its own
 * `authorization` (an empty one: unsigned).
 */
export async function raw(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<RawAnswer> {
  const u = new URL(url);
  const sent =
    'authorization' in headers
      ? headers
      : await signedHeaders({ method, url: `http://${headers['host'] ?? u.host}${path}`, service: 's3', region: 'us-east-1', headers, body: typeof body === 'string' ? body : body === undefined ? undefined : new Uint8Array(body), key: TEST_KEY });
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: sent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
