// The gateway's route table: APIs (REST, HTTP or ALB style) with routes to functions, kept durably, and route
// matching with API Gateway's precedence (literal segments over {param} over {proxy+}; a method over ANY).
import { z } from 'zod';
import { AwsError } from '../../lib/errors.js';
import type { Migration, Store } from '../../store/store.js';
import { UrlCorsShape } from '../lambda/index.js';

export type ApiType = 'REST' | 'HTTP' | 'ALB';
export type PayloadFormat = '1.0' | '2.0' | 'alb';

/** Config files are strict about CORS members: a misspelt one is an error, not silently ignored. */
const CorsShape = UrlCorsShape.strict();

export const RouteShape = z
  .object({
    /** An HTTP method or ANY (default). */
    method: z.string().optional(),
    /** A path template (`/pets/{id}`, `/{proxy+}`) or `$default` (HTTP APIs). */
    path: z.string().min(1),
    /** Function name, `name:qualifier` or ARN. */
    function: z.string().min(1),
    /** The event this route sends: 1.0 (REST), 2.0 (HTTP API) or alb; defaults from the API's type. */
    payloadFormatVersion: z.enum(['1.0', '2.0', 'alb']).optional(),
    /** API Gateway's integration timeout: 50–29000 ms (REST; default 29000) or 50–30000 ms (HTTP; default 30000). */
    timeoutInMillis: z.number().int().optional(),
  })
  .strict();

export const ApiShape = z
  .object({
    type: z.enum(['REST', 'HTTP', 'ALB']),
    region: z.string().optional(),
    /** REST APIs are addressed as /<stage>/…; HTTP APIs default to `$default` (no prefix); ALB has none. */
    stage: z.string().optional(),
    stageVariables: z.record(z.string(), z.string()).optional(),
    /** ALB target group attribute lambda.multi_value_headers.enabled. */
    multiValueHeaders: z.boolean().optional(),
    /** HTTP APIs: CORS answered by the gateway, same shape as a function URL's. */
    cors: CorsShape.optional(),
    routes: z.array(RouteShape),
  })
  .strict();

export type ApiDef = z.infer<typeof ApiShape>;
export type RouteDef = z.infer<typeof RouteShape>;

export interface StoredApi extends ApiDef {
  id: string;
  region: string;
  stage: string;
}

type Seg = { kind: 'lit'; v: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

export interface CompiledRoute {
  def: RouteDef;
  method: string;
  segs: Seg[];
  isDefault: boolean;
  format: PayloadFormat;
}

export interface RouteMatch {
  route: CompiledRoute;
  params: Record<string, string>;
}

const ID_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

function parseTemplate(path: string): Seg[] {
  if (!path.startsWith('/')) throw new AwsError('ValidationException', `Route path ${path} must start with / (or be $default).`);
  const parts = path.split('/').slice(1).filter((p, i, a) => p !== '' || i < a.length - 1);
  return parts.map((p, i) => {
    const m = /^\{([A-Za-z0-9_.-]+)(\+)?\}$/.exec(p);
    if (!m) {
      if (p.includes('{') || p.includes('}')) throw new AwsError('ValidationException', `Invalid path segment ${p} in ${path}.`);
      return { kind: 'lit', v: p };
    }
    if (m[2] && i !== parts.length - 1) throw new AwsError('ValidationException', `A greedy path variable must be the last segment: ${path}.`);
    return m[2] ? { kind: 'greedy', name: m[1]! } : { kind: 'param', name: m[1]! };
  });
}

const defaultFormat = (t: ApiType): PayloadFormat => (t === 'REST' ? '1.0' : t === 'HTTP' ? '2.0' : 'alb');

export function compile(api: StoredApi): CompiledRoute[] {
  return api.routes.map((def) => {
    const maxTimeout = api.type === 'REST' ? 29_000 : 30_000;
    if (def.timeoutInMillis !== undefined && (def.timeoutInMillis < 50 || def.timeoutInMillis > maxTimeout)) {
      throw new AwsError('ValidationException', `timeoutInMillis must be between 50 and ${maxTimeout}.`);
    }
    const isDefault = def.path === '$default';
    if (isDefault && api.type !== 'HTTP') throw new AwsError('ValidationException', 'Only HTTP APIs have a $default route.');
    return {
      def,
      method: (def.method ?? 'ANY').toUpperCase(),
      segs: isDefault ? [] : parseTemplate(def.path),
      isDefault,
      format: def.payloadFormatVersion ?? defaultFormat(api.type),
    };
  });
}

/** Matches decoded path segments against a template; undefined when it does not match. */
function matchSegs(segs: Seg[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s.kind === 'greedy') {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      params[s.name] = rest.join('/');
      return params;
    }
    const p = parts[i];
    if (p === undefined) return undefined;
    if (s.kind === 'lit' && s.v !== p) return undefined;
    if (s.kind === 'param') {
      if (p === '') return undefined;
      params[s.name] = p;
    }
  }
  return parts.length === segs.length ? params : undefined;
}

/** Precedence: compare segment by segment (literal 3 > param 2 > greedy 1), then a named method over ANY. */
function rank(r: CompiledRoute): number[] {
  return [...r.segs.map((s) => (s.kind === 'lit' ? 3 : s.kind === 'param' ? 2 : 1)), 0];
}

function better(a: CompiledRoute, b: CompiledRoute): boolean {
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
    const x = ra[i] ?? -1;
    const y = rb[i] ?? -1;
    if (x !== y) return x > y;
  }
  return a.method !== 'ANY' && b.method === 'ANY';
}

export interface Lookup {
  match?: RouteMatch;
  /** Some route has this path but not this method. */
  pathMatched: boolean;
}

export function findRoute(routes: CompiledRoute[], method: string, path: string): Lookup {
  const parts = path.split('/').slice(1).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts.length === 1 && parts[0] === '') parts.length = 0;
  let best: RouteMatch | undefined;
  let pathMatched = false;
  let fallback: CompiledRoute | undefined;
  for (const r of routes) {
    if (r.isDefault) {
      fallback = r;
      continue;
    }
    const params = matchSegs(r.segs, parts);
    if (!params) continue;
    pathMatched = true;
    if (r.method !== 'ANY' && r.method !== method) continue;
    if (!best || better(r, best.route)) best = { route: r, params };
  }
  if (!best && fallback) best = { route: fallback, params: {} };
  return { match: best, pathMatched };
}

const MIGRATIONS: Migration[] = [{ version: 1, up: 'CREATE TABLE gateway_apis (id TEXT PRIMARY KEY, config TEXT NOT NULL)' }];

/** The durable route table. */
export class RouteTable {
  private readonly apis = new Map<string, { api: StoredApi; routes: CompiledRoute[] }>();

  constructor(private readonly store: Store) {}

  async load(): Promise<void> {
    await this.store.migrate('gateway', MIGRATIONS);
    for (const r of await this.store.all<{ config: string }>('SELECT config FROM gateway_apis')) {
      const api = JSON.parse(r.config) as StoredApi;
      this.apis.set(api.id, { api, routes: compile(api) });
    }
  }

  get(id: string): { api: StoredApi; routes: CompiledRoute[] } | undefined {
    return this.apis.get(id);
  }

  list(): StoredApi[] {
    return [...this.apis.values()].map((a) => a.api);
  }

  /** Creates or replaces an API. */
  async put(id: string, def: ApiDef, defaultRegion: string): Promise<StoredApi> {
    if (!ID_RE.test(id)) throw new AwsError('ValidationException', `API id ${id} must be 1-63 lower-case letters, digits or hyphens.`);
    const stage = def.type === 'ALB' ? '$default' : (def.stage ?? (def.type === 'REST' ? 'dev' : '$default'));
    if (def.type === 'REST' && stage === '$default') throw new AwsError('ValidationException', 'A REST API needs a named stage.');
    const api: StoredApi = { ...def, id, region: def.region ?? defaultRegion, stage };
    const routes = compile(api);
    await this.store.run('INSERT INTO gateway_apis (id, config) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET config = excluded.config', [id, JSON.stringify(api)]);
    this.apis.set(id, { api, routes });
    return api;
  }

  async delete(id: string): Promise<boolean> {
    const had = this.apis.delete(id);
    await this.store.run('DELETE FROM gateway_apis WHERE id = ?', [id]);
    return had;
  }
}
