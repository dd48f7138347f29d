// Listing as S3 pages it (pure over a page fetcher): prefix, delimiter and CommonPrefixes, MaxKeys, markers; a
// common prefix is skipped over in one step, not key by key.
export interface Listed<T> {
  contents: T[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned (NextMarker, and what a continuation token encodes). */
  last: string | undefined;
}

/** Past every key that starts with `p`: in UTF-8 byte order no key continues `p` with a larger code point. */
export const pastPrefix = (p: string): string => `${p}\u{10FFFF}`;

/**
 * One page of a listing. `fetch(after, n)` gives up to n entries with key > after (and the prefix), in key order;
 * `after` is where the page starts (exclusive).
 */
export async function listPage<T extends { key: string }>(
  fetch: (after: string, n: number) => Promise<T[]>,
  o: { prefix: string; delimiter?: string; after: string; maxKeys: number },
): Promise<Listed<T>> {
  const out: Listed<T> = { contents: [], commonPrefixes: [], truncated: false, last: undefined };
  let cursor = o.after;
  const delim = o.delimiter || undefined;
  const batch = Math.min(1000, o.maxKeys + 1);
  for (;;) {
    const rows = await fetch(cursor, batch);
    let jumped = false;
    for (const r of rows) {
      let cp: string | undefined;
      if (delim) {
        const i = r.key.indexOf(delim, o.prefix.length);
        if (i >= 0) cp = r.key.slice(0, i + delim.length);
      }
      if (cp !== undefined && cp <= o.after) {
        // The marker was this common prefix (or inside it): its keys were returned as it already.
        cursor = pastPrefix(cp);
        jumped = true;
        break;
      }
      if (out.contents.length + out.commonPrefixes.length >= o.maxKeys) {
        out.truncated = true;
        return out;
      }
      if (cp !== undefined) {
        out.commonPrefixes.push(cp);
        out.last = cp;
        cursor = pastPrefix(cp);
        jumped = true;
        break;
      }
      out.contents.push(r);
      out.last = r.key;
      cursor = r.key;
    }
    if (!jumped && rows.length < batch) return out;
  }
}

/** Continuation tokens: opaque to clients, the start key inside. */
export function encodeToken(after: string): string {
  return Buffer.from(JSON.stringify({ a: after })).toString('base64');
}

export function decodeToken(t: string): string | undefined {
  try {
    const v = JSON.parse(Buffer.from(t, 'base64').toString('utf8')) as { a?: unknown };
    return typeof v.a === 'string' ? v.a : undefined;
  } catch {
    return undefined;
  }
}
