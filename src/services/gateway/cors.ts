// CORS as function URLs apply it: the URL answers preflights itself, and adds the configured headers to responses.
import type { UrlCors } from '../lambda/index.js';

const has = (list: string[] | undefined, v: string, ci = false): boolean =>
  (list ?? []).some((x) => x === '*' || (ci ? x.toLowerCase() === v.toLowerCase() : x === v));

function originAllowed(cors: UrlCors, origin: string): string | undefined {
  if (!has(cors.AllowOrigins, origin, true)) return undefined;
  // With credentials a wildcard cannot be echoed as `*`; AWS echoes the origin.
  return (cors.AllowOrigins ?? []).includes('*') && !cors.AllowCredentials ? '*' : origin;
}

/** A preflight is an OPTIONS request with Origin and Access-Control-Request-Method. */
export function isPreflight(method: string, headers: { origin?: string; acrm?: string }): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers.acrm !== undefined;
}

/** Headers answering a preflight; none when the origin or method is not allowed (the browser then refuses). */
export function preflightHeaders(cors: UrlCors, origin: string, method: string, requestHeaders: string | undefined): [string, string][] {
  const allow = originAllowed(cors, origin);
  if (!allow || !has(cors.AllowMethods, method.toUpperCase(), true)) return [];
  const out: [string, string][] = [['access-control-allow-origin', allow]];
  out.push(['access-control-allow-methods', (cors.AllowMethods ?? []).includes('*') ? method.toUpperCase() : (cors.AllowMethods ?? []).join(',')]);
  if (cors.AllowHeaders && cors.AllowHeaders.length > 0) {
    out.push(['access-control-allow-headers', cors.AllowHeaders.includes('*') && requestHeaders ? requestHeaders : cors.AllowHeaders.join(',')]);
  }
  if (cors.AllowCredentials) out.push(['access-control-allow-credentials', 'true']);
  if (cors.MaxAge !== undefined) out.push(['access-control-max-age', String(cors.MaxAge)]);
  out.push(['vary', 'Origin']);
  return out;
}

/** Headers added to an actual (non-preflight) response; the configuration overrides the function's own. */
export function responseHeaders(cors: UrlCors, origin: string | undefined): [string, string][] {
  if (origin === undefined) return [];
  const allow = originAllowed(cors, origin);
  if (!allow) return [];
  const out: [string, string][] = [['access-control-allow-origin', allow]];
  if (cors.ExposeHeaders && cors.ExposeHeaders.length > 0) out.push(['access-control-expose-headers', cors.ExposeHeaders.join(',')]);
  if (cors.AllowCredentials) out.push(['access-control-allow-credentials', 'true']);
  out.push(['vary', 'Origin']);
  return out;
}

/** Drops a function's own CORS headers where the URL's configuration speaks instead. */
export function withoutCors(headers: [string, string][]): [string, string][] {
  return headers.filter(([k]) => !k.toLowerCase().startsWith('access-control-'));
}
