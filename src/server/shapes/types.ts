// The compact form of AWS model input shapes that scripts/gen-shapes.mjs writes and src/server/validate.ts reads.

/** A member of a structure: its shape, where rest-json binds it (absent: the JSON body), its wire name if other. */
export interface MemberRef {
  s: string;
  l?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';
  n?: string;
}

export interface Shape {
  t: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'float' | 'double' | 'boolean' | 'blob' | 'timestamp' | 'document' | 'union';
  /** structure: members; list: the member shape. */
  m?: Record<string, MemberRef> | string;
  /** structure: required members; payload member (rest-json: the body is that member, not a JSON object). */
  r?: string[];
  p?: string;
  /** map: key and value shapes. */
  k?: string;
  v?: string;
  /** Lengths (string, blob, list, map) or ranges (numbers). */
  min?: number;
  max?: number;
  e?: string[];
  /** A pattern the whole value must match; compiled with flags `pf` (default `u`). */
  pt?: string;
  pf?: string;
  /** Sensitive (inputs, secrets): error messages do not echo the value. */
  x?: 1;
}

export interface ServiceShapes {
  protocol: string;
  targetPrefix: string | null;
  version: string;
  /** Operation → input shape and the error shapes the model lists for it. */
  ops: Record<string, { i?: string; e: string[]; h?: [method: string, requestUri: string] }>;
  shapes: Record<string, Shape>;
}
