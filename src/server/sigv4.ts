// Reads the SigV4 credential scope (access key, region, service) from a request; verification comes later.
import type { IncomingHttpHeaders } from 'node:http';

export interface Scope {
  accessKeyId: string;
  region: string;
  service: string;
}

const SCOPE = /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/;

export function credentialScope(headers: IncomingHttpHeaders, query: URLSearchParams): Scope | undefined {
  const auth = headers['authorization'];
  const text = typeof auth === 'string' ? auth : `Credential=${query.get('X-Amz-Credential') ?? ''}`;
  const m = SCOPE.exec(text);
  if (!m) return undefined;
  return { accessKeyId: m[1]!, region: m[2]!, service: m[3]! };
}
