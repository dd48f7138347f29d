// Validation of what a sender hands SQS: message bodies, message attributes, batch entries, receive options.
import { AwsError } from '../../lib/errors.js';
import type { MessageAttribute } from './broker.js';
import { attributeSize } from './md5.js';

const invalid = (msg: string): AwsError => new AwsError('InvalidParameterValue', msg);

// The characters SQS accepts in bodies and attribute strings (XML 1.0's Char production).
// eslint-disable-next-line no-control-regex
const BAD_CHARS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function checkBody(body: unknown): string {
  if (typeof body !== 'string') throw new AwsError('MissingParameter', 'The request must contain the parameter MessageBody.');
  if (body.length === 0) throw invalid('The request must contain the parameter MessageBody.');
  if (BAD_CHARS.test(body))
    throw new AwsError('InvalidMessageContents', 'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF');
  return body;
}

const ATTR_NAME = /^(?!\.)(?!.*\.\.)(?!.*\.$)[A-Za-z0-9_.-]{1,256}$/;

/** Turns wire message attributes (JSON protocol: BinaryValue base64) into checked MessageAttributes. */
export function checkMessageAttributes(raw: unknown, what: 'message' | 'system' = 'message'): Record<string, MessageAttribute> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalid('MessageAttributes must be a map.');
  const out: Record<string, MessageAttribute> = Object.create(null) as Record<string, MessageAttribute>; // names such as __proto__ are plain keys here
  const entries = Object.entries(raw as Record<string, unknown>);
  if (what === 'message' && entries.length > 10) throw invalid(`Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`);
  for (const [name, v] of entries) {
    if (what === 'system' && name !== 'AWSTraceHeader')
      throw invalid(`Message system attribute name '${name}' is invalid.`);
    if (what === 'message' && (!ATTR_NAME.test(name) || /^(aws\.|amazon\.)/i.test(name)))
      throw invalid(`Message (user) attribute name '${name}' is invalid.`);
    const a = (v ?? {}) as Record<string, unknown>;
    const dataType = a['DataType'];
    if (typeof dataType !== 'string' || dataType === '')
      throw invalid(`The message attribute '${name}' must contain non-empty message attribute type.`);
    const base = dataType.split('.')[0];
    if (base !== 'String' && base !== 'Number' && base !== 'Binary' || dataType.length > 256)
      throw invalid(`The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    if (base === 'Binary') {
      const bv = a['BinaryValue'];
      const buf = Buffer.isBuffer(bv) ? bv : typeof bv === 'string' ? Buffer.from(bv, 'base64') : undefined;
      if (!buf || buf.length === 0) throw invalid(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      out[name] = { DataType: dataType, BinaryValue: buf };
    } else {
      const sv = a['StringValue'];
      if (typeof sv !== 'string' || sv === '') throw invalid(`The message attribute '${name}' with type '${base}' must use field 'String'.`);
      if (base === 'Number' && (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(sv.trim()) || sv.replace(/[^0-9]/g, '').length > 38))
        throw invalid(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      if (BAD_CHARS.test(sv))
        throw new AwsError('InvalidMessageContents', 'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF');
      out[name] = { DataType: dataType, StringValue: sv };
    }
  }
  return out;
}

export function messageSize(body: string, attrs: Record<string, MessageAttribute>): number {
  let n = Buffer.byteLength(body, 'utf8');
  for (const [k, a] of Object.entries(attrs)) n += attributeSize(k, a);
  return n;
}

export function checkDelay(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 900)
    throw invalid(`Value ${String(v)} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`);
  return n;
}

const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** Batch-level checks shared by the three *Batch operations. */
export function checkBatch<T extends { Id?: unknown }>(entries: unknown, entryName: string): T[] {
  if (!Array.isArray(entries) || entries.length === 0)
    throw new AwsError('EmptyBatchRequest', `There should be at least one ${entryName} in the request.`);
  if (entries.length > 10) throw new AwsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
  const seen = new Set<string>();
  for (const e of entries as T[]) {
    const id = e?.Id;
    if (typeof id !== 'string' || !BATCH_ID.test(id))
      throw new AwsError('InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
    if (seen.has(id)) throw new AwsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
  }
  return entries as T[];
}

/** An integer parameter within bounds, or undefined when absent. */
export function intParam(name: string, v: unknown, lo: number, hi: number, reason: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi)
    throw invalid(`Value ${String(v)} for parameter ${name} is invalid. Reason: ${reason}`);
  return n;
}
