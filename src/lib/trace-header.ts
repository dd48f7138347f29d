// The X-Ray trace header (`X-Amzn-Trace-Id`, `_X_AMZN_TRACE_ID`, SQS's AWSTraceHeader): parse, format, and the
// Lineage field that Lambda's recursive loop detection counts in (`Lineage=<requests>:<hash>:<loop count>`).
import { createHash } from 'node:crypto';
import { hex } from './ids.js';

export interface TraceHeader {
  /** `1-<8 hex seconds>-<24 hex>`. */
  root: string;
  parent?: string;
  sampled?: string;
  lineage?: Lineage;
  /** Fields this module does not interpret (Self=, application data), kept in order. */
  rest: [string, string][];
}

export interface Lineage {
  /** The first number: requests made with this lineage (kept as it came). */
  requests: number;
  /** 8 hex digits naming the resource that last counted (here: a hash of the function's ARN). */
  hash: string;
  /** Invocations of Lambda functions earlier in the chain of requests (0 for a chain's first invocation). */
  loops: number;
}

const ROOT = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const LINEAGE = /^(\d{1,5}):([0-9a-f]{8}):(\d{1,3})$/;

/** Parses a header; undefined when it has no valid Root (AWS starts a new trace then). */
export function parseTraceHeader(raw: string | undefined): TraceHeader | undefined {
  if (raw === undefined || raw.length > 2048) return undefined;
  const out: TraceHeader = { root: '', rest: [] };
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 'Root') out.root = v;
    else if (k === 'Parent') out.parent = v;
    else if (k === 'Sampled') out.sampled = v;
    else if (k === 'Lineage') {
      const m = LINEAGE.exec(v);
      if (m) out.lineage = { requests: Number(m[1]), hash: m[2]!, loops: Number(m[3]) };
    } else out.rest.push([k, v]);
  }
  return ROOT.test(out.root) ? out : undefined;
}

export function formatTraceHeader(t: TraceHeader): string {
  const parts = [`Root=${t.root}`];
  if (t.parent !== undefined) parts.push(`Parent=${t.parent}`);
  if (t.sampled !== undefined) parts.push(`Sampled=${t.sampled}`);
  if (t.lineage) parts.push(`Lineage=${t.lineage.requests}:${t.lineage.hash}:${t.lineage.loops}`);
  for (const [k, v] of t.rest) parts.push(`${k}=${v}`);
  return parts.join(';');
}

/** A new trace's root id at `now` (epoch ms). */
export const newRoot = (now: number): string => `1-${Math.floor(now / 1000).toString(16).padStart(8, '0')}-${hex(12)}`;

/** Hashes of the resources seen lately (every invocation needs its function's; a SHA-256 is most of the cost). */
const hashes = new Map<string, string>();

/** 8 hex digits standing for a resource in a Lineage. */
export function lineageHash(resource: string): string {
  let h = hashes.get(resource);
  if (h === undefined) {
    if (hashes.size >= 4096) hashes.clear();
    h = createHash('sha256').update(resource).digest('hex').slice(0, 8);
    hashes.set(resource, h);
  }
  return h;
}

/**
 * The header an invocation of `functionArn` runs with, caused by a request that carried `incoming` (or none): the same
 * trace (a new one when there is none), a new Parent, and the Lineage's loop count one more than the incoming one
 * (0 when the request carried no Lineage: the chain starts here).
 */
export function nextInvocationHeader(incoming: string | undefined, functionArn: string, now: number): { header: string; loops: number } {
  const t = parseTraceHeader(incoming);
  const loops = t?.lineage ? t.lineage.loops + 1 : 0;
  const next: TraceHeader = {
    root: t?.root ?? newRoot(now),
    parent: hex(8),
    sampled: t?.sampled ?? '0',
    lineage: { requests: t?.lineage?.requests ?? 1, hash: lineageHash(functionArn), loops: Math.min(loops, 999) },
    rest: t?.rest ?? [],
  };
  return { header: formatTraceHeader(next), loops };
}
