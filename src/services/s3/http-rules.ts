// Pure HTTP rules of S3's object reads: Range headers, conditional headers in AWS's order, bucket names, keys.
import { invalidBucketName, preconditionFailed } from './errors.js';

export type Range = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * `bytes=a-b`, `bytes=a-`, `bytes=-n` against an object of `size` bytes. A header S3 cannot use (multiple ranges,
 * another unit, garbage) is ignored and the whole object returned, as S3 does.
 */
export function parseRange(header: string | undefined, size: number): Range {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    if (size === 0) return undefined;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

function etagList(h: string): string[] {
  return h.split(',').map((s) => s.trim().replace(/^W\//, ''));
}

function matches(h: string, etag: string): boolean {
  const q = `"${etag}"`;
  return etagList(h).some((e) => e === '*' || e === q || e === etag);
}

/** Seconds resolution, as HTTP dates carry; an unparsable date is ignored as S3 does. */
function date(h: string | undefined): number | undefined {
  if (!h) return undefined;
  const t = Date.parse(h);
  return Number.isFinite(t) ? Math.floor(t / 1000) : undefined;
}

/**
 * What the conditional headers make of a read (RFC 7232 §6 as S3 applies it): If-Match before If-Unmodified-Since
 * (a true If-Match makes S3 ignore a false If-Unmodified-Since), If-None-Match before If-Modified-Since.
 * `copy` selects the x-amz-copy-source-if-* flavour, where "not modified" is a 412 too.
 */
export function checkConditions(c: Conditions, etag: string, lastModifiedMs: number, copy = false): 'ok' | 'not-modified' {
  const lm = Math.floor(lastModifiedMs / 1000);
  const pre = copy ? 'x-amz-copy-source-' : '';
  if (c.ifMatch !== undefined) {
    if (!matches(c.ifMatch, etag)) throw preconditionFailed(copy ? `${pre}If-Match` : 'If-Match');
  } else {
    const t = date(c.ifUnmodifiedSince);
    if (t !== undefined && lm > t) throw preconditionFailed(copy ? `${pre}If-Unmodified-Since` : 'If-Unmodified-Since');
  }
  if (c.ifNoneMatch !== undefined) {
    if (matches(c.ifNoneMatch, etag)) {
      if (copy) throw preconditionFailed(`${pre}If-None-Match`);
      return 'not-modified';
    }
  } else {
    const t = date(c.ifModifiedSince);
    if (t !== undefined && lm <= t) {
      if (copy) throw preconditionFailed(`${pre}If-Modified-Since`);
      return 'not-modified';
    }
  }
  return 'ok';
}

/** AWS's rules for new bucket names (general purpose buckets). */
export function validateBucketName(name: string): void {
  const ok =
    name.length >= 3 &&
    name.length <= 63 &&
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.startsWith('sthree-') &&
    !name.endsWith('-s3alias') &&
    !name.endsWith('--ol-s3') &&
    !name.includes('.-') &&
    !name.includes('-.');
  if (!ok) throw invalidBucketName(name);
}

/** S3's HTTP date (RFC 7231), as Last-Modified carries it. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** S3's XML timestamps: ISO 8601 with milliseconds. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** Keys as S3's `encoding-type=url` writes them: every byte but unreserved characters and `/` percent-encoded. */
export function urlEncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A key as S3's event records write it: form-encoded (spaces as `+`), `/` kept. */
export function eventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
