// Matches rest-json requests to routes by method, path template and discriminating query parameters.
import type { RestRoute } from './types.js';

interface Compiled {
  route: RestRoute;
  /** The AWS model the edge validator checks the route's input against (ServiceRoutes.restModel). */
  model: string | undefined;
  re: RegExp;
  names: string[];
  literalLength: number;
}

export class RestRouter {
  private readonly routes: Compiled[] = [];

  add(route: RestRoute, model?: string): void {
    const names: string[] = [];
    let literalLength = 0;
    const re = route.path
      .split('/')
      .map((seg) => {
        const m = /^\{(\w+)(\+?)\}$/.exec(seg);
        if (!m) {
          literalLength += seg.length;
          return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        }
        names.push(m[1]!);
        return m[2] ? '(.+)' : '([^/]+)';
      })
      .join('/');
    this.routes.push({ route, model, re: new RegExp(`^${re}/?$`), names, literalLength });
    // Most specific first: routes with a query or parameter discriminator, then longer literal paths.
    const specific = (r: RestRoute): number => Number(!!r.query || !!r.paramPrefix);
    this.routes.sort((a, b) => specific(b.route) - specific(a.route) || b.literalLength - a.literalLength);
  }

  /** Returns the route and its decoded path params; `methodMismatch` when the path exists under another method. */
  match(method: string, path: string, query: URLSearchParams): { route: RestRoute; params: Record<string, string>; model: string | undefined } | { methodMismatch: boolean } {
    let methodMismatch = false;
    for (const c of this.routes) {
      const m = c.re.exec(path);
      if (!m) continue;
      if (c.route.method !== method) {
        methodMismatch = true;
        continue;
      }
      const q = c.route.query;
      if (q && (!query.has(q.name) || (q.value !== undefined && query.get(q.name) !== q.value))) continue;
      const params: Record<string, string> = {};
      try {
        c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
      } catch {
        continue;
      }
      const p = c.route.paramPrefix;
      if (p && !(params[p.name] ?? '').startsWith(p.prefix)) continue;
      return { route: c.route, params, model: c.model };
    }
    return { methodMismatch };
  }
}
