// Bucket CORS as S3 applies it: the configuration's rules (parsed and validated), preflight answers and the
// Access-Control-* headers of actual requests with an Origin.
import { arr, str, type XmlNode } from './xml.js';
import { invalidRequest, malformedXml } from './errors.js';

export interface CorsRule {
  ID?: string;
  AllowedOrigins: string[];
  AllowedMethods: string[];
  AllowedHeaders: string[];
  ExposeHeaders: string[];
  MaxAgeSeconds?: number;
}

const METHODS = new Set(['GET', 'PUT', 'HEAD', 'POST', 'DELETE']);

export function parseCors(v: Record<string, unknown>): CorsRule[] {
  const rules = arr(v['CORSRule']).map((x) => {
    const r = x as Record<string, unknown>;
    const methods = arr(r['AllowedMethod']).map((m) => str(m) ?? '');
    const origins = arr(r['AllowedOrigin']).map((m) => str(m) ?? '');
    if (methods.length === 0 || origins.length === 0) throw malformedXml();
    for (const m of methods) if (!METHODS.has(m)) throw invalidRequest(`Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
    const age = str(r['MaxAgeSeconds']);
    return {
      ID: str(r['ID']),
      AllowedOrigins: origins,
      AllowedMethods: methods,
      AllowedHeaders: arr(r['AllowedHeader']).map((m) => str(m) ?? ''),
      ExposeHeaders: arr(r['ExposeHeader']).map((m) => str(m) ?? ''),
      MaxAgeSeconds: age === undefined ? undefined : Number(age),
    };
  });
  if (rules.length === 0) throw malformedXml();
  if (rules.length > 100) throw invalidRequest('The number of CORS rules should not exceed allowed limit of 100 rules.');
  return rules;
}

export function corsXml(rules: CorsRule[]): XmlNode {
  return rules.map((r): [string, XmlNode] => [
    'CORSRule',
    [
      ['ID', r.ID],
      ...r.AllowedHeaders.map((h): [string, string] => ['AllowedHeader', h]),
      ...r.AllowedMethods.map((h): [string, string] => ['AllowedMethod', h]),
      ...r.AllowedOrigins.map((h): [string, string] => ['AllowedOrigin', h]),
      ...r.ExposeHeaders.map((h): [string, string] => ['ExposeHeader', h]),
      ['MaxAgeSeconds', r.MaxAgeSeconds],
    ],
  ]);
}

/** `*` matches any run of characters (one wildcard per pattern, as S3 allows). */
function wild(pattern: string, value: string): boolean {
  const i = pattern.indexOf('*');
  if (i < 0) return pattern.toLowerCase() === value.toLowerCase();
  const pre = pattern.slice(0, i).toLowerCase();
  const post = pattern.slice(i + 1).toLowerCase();
  const v = value.toLowerCase();
  return v.length >= pre.length + post.length && v.startsWith(pre) && v.endsWith(post);
}

/** The first rule that allows the origin, method and (preflight) requested headers. */
export function matchRule(rules: CorsRule[], origin: string, method: string, headers: string[]): CorsRule | undefined {
  return rules.find(
    (r) =>
      r.AllowedOrigins.some((o) => wild(o, origin)) &&
      r.AllowedMethods.includes(method) &&
      headers.every((h) => r.AllowedHeaders.some((a) => wild(a, h))),
  );
}

/** The Access-Control-* headers a matched rule gives. */
export function corsHeaders(r: CorsRule, origin: string, method: string, preflightHeaders?: string[]): Record<string, string> {
  const anyOrigin = r.AllowedOrigins.includes('*');
  const h: Record<string, string> = {
    'access-control-allow-origin': anyOrigin ? '*' : origin,
    'access-control-allow-methods': r.AllowedMethods.join(', '),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!anyOrigin) h['access-control-allow-credentials'] = 'true';
  if (r.ExposeHeaders.length) h['access-control-expose-headers'] = r.ExposeHeaders.join(', ');
  if (r.MaxAgeSeconds !== undefined) h['access-control-max-age'] = String(r.MaxAgeSeconds);
  if (preflightHeaders?.length) h['access-control-allow-headers'] = preflightHeaders.join(', ');
  void method;
  return h;
}
