// IAM's query edge: reading the form with the model's constraints, Marker/MaxItems pages, and the XML answer.
import * as E from './errors.js';

export type Form = URLSearchParams;

/** A field's constraints as the model gives them (min/max length, pattern). */
export interface Rule {
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** The pattern as the model spells it, for the message. */
  spelled?: string;
}

export const NAME: Rule = { min: 1, max: 128, pattern: /^[\w+=,.@-]+$/, spelled: '[\\w+=,.@-]+' };
export const USER_NAME: Rule = { ...NAME, max: 64 };
export const ROLE_NAME: Rule = { ...NAME, max: 64 };
export const PATH: Rule = { min: 1, max: 512, pattern: /^(\/|\/[\u0021-\u007E]+\/)$/, spelled: '(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)' };
export const PATH_PREFIX: Rule = { min: 1, max: 512, pattern: /^\/[\u0021-\u007F]*$/, spelled: '\\u002F[\\u0021-\\u007F]*' };
export const DOCUMENT: Rule = { min: 1, max: 131072, pattern: /^[\u0009\u000A\u000D\u0020-\u00FF]+$/, spelled: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+' };
export const ARN: Rule = { min: 20, max: 2048 };
export const ACCESS_KEY: Rule = { min: 16, max: 128, pattern: /^\w+$/, spelled: '[\\w]+' };
export const VERSION_ID: Rule = { pattern: /^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$/, spelled: 'v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?' };
export const DESCRIPTION: Rule = { max: 1000 };
export const SESSION_NAME: Rule = { min: 2, max: 64, pattern: /^[\w+=,.@-]*$/, spelled: '[\\w+=,.@-]*' };

/** `UserName` → `userName`, as the validator names members. */
const member = (field: string): string => field[0]!.toLowerCase() + field.slice(1);

export function check(value: string, field: string, rule: Rule): string {
  const len = [...value].length;
  if (rule.min !== undefined && len < rule.min) throw E.constraint(value, member(field), `Member must have length greater than or equal to ${rule.min}`);
  if (rule.max !== undefined && len > rule.max) throw E.constraint(value, member(field), `Member must have length less than or equal to ${rule.max}`);
  if (rule.pattern && !rule.pattern.test(value)) throw E.constraint(value, member(field), `Member must satisfy regular expression pattern: ${rule.spelled}`);
  return value;
}

export function need(f: Form, field: string, rule: Rule = {}): string {
  const v = f.get(field);
  if (v === null) throw E.constraint(null, member(field), 'Member must not be null');
  return check(v, field, rule);
}

export function opt(f: Form, field: string, rule: Rule = {}): string | undefined {
  const v = f.get(field);
  return v === null ? undefined : check(v, field, rule);
}

export function int(f: Form, field: string, min: number, max: number): number | undefined {
  const v = f.get(field);
  if (v === null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw E.validation(`Invalid value for parameter ${field}: ${v}`);
  if (n < min) throw E.constraint(n, member(field), `Member must have value greater than or equal to ${min}`);
  if (n > max) throw E.constraint(n, member(field), `Member must have value less than or equal to ${max}`);
  return n;
}

export const bool = (f: Form, field: string): boolean | undefined => {
  const v = f.get(field);
  return v === null ? undefined : v === 'true';
};

export function list(f: Form, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; f.has(`${prefix}.member.${i}`); i++) out.push(f.get(`${prefix}.member.${i}`)!);
  return out;
}

export interface Tag { Key: string; Value: string }

export function tags(f: Form, prefix = 'Tags'): Tag[] {
  const out: Tag[] = [];
  for (let i = 1; f.has(`${prefix}.member.${i}.Key`); i++) {
    const Key = f.get(`${prefix}.member.${i}.Key`)!;
    const Value = f.get(`${prefix}.member.${i}.Value`) ?? '';
    if (Key.length < 1 || Key.length > 128 || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u.test(Key)) throw E.invalidInput(`Invalid tag key: ${Key}`);
    if (Value.length > 256 || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(Value)) throw E.invalidInput(`Invalid tag value: ${Value}`);
    out.push({ Key, Value });
  }
  if (out.length > 50) throw E.limitExceeded('The number of tags has reached the maximum limit.');
  const seen = new Set<string>();
  for (const t of out) {
    if (seen.has(t.Key.toLowerCase())) throw E.invalidInput('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    seen.add(t.Key.toLowerCase());
  }
  return out;
}

/** Tags merged: a key given again (case-insensitively) replaces its value, as TagUser does. */
export function mergeTags(old: Tag[], add: Tag[]): Tag[] {
  const out = old.filter((t) => !add.some((a) => a.Key.toLowerCase() === t.Key.toLowerCase()));
  out.push(...add);
  if (out.length > 50) throw E.limitExceeded('The number of tags has reached the maximum limit.');
  return out;
}

/** Tags without those the request's `TagKeys.member.N` name (case-insensitively), as UntagUser does. */
export function withoutTags(old: Tag[], f: Form): Tag[] {
  const drop = new Set<string>();
  for (let i = 1; f.has(`TagKeys.member.${i}`); i++) drop.add(f.get(`TagKeys.member.${i}`)!.toLowerCase());
  return old.filter((t) => !drop.has(t.Key.toLowerCase()));
}

/** One page of a sorted list: Marker is the opaque key of the first item not yet shown. */
export function page<T>(f: Form, items: T[], keyOf: (t: T) => string): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const max = int(f, 'MaxItems', 1, 1000) ?? 100;
  const marker = opt(f, 'Marker');
  let start = 0;
  if (marker !== undefined) {
    const key = Buffer.from(marker, 'base64url').toString('utf8');
    start = items.findIndex((t) => keyOf(t) >= key);
    if (start < 0) start = items.length;
  }
  const shown = items.slice(start, start + max);
  const next = items[start + max];
  return next === undefined ? { items: shown, IsTruncated: false } : { items: shown, IsTruncated: true, Marker: Buffer.from(keyOf(next), 'utf8').toString('base64url') };
}

const esc = (s: string): string =>
  s.replace(/[<>&"'\r]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' })[c]!);

/** A value as query-protocol XML: objects nest, arrays are `<member>` lists, undefined is left out. */
export function xml(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map((x) => `<member>${xml(x)}</member>`).join('');
  if (typeof v === 'object') {
    let out = '';
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined && x !== null) out += `<${k}>${xml(x)}</${k}>`;
    return out;
  }
  return esc(String(v));
}

/** The whole answer: `<XResponse xmlns><XResult>…</XResult><ResponseMetadata>`. */
export function answer(xmlns: string, action: string, result: Record<string, unknown> | undefined, requestId: string): string {
  const r = result === undefined ? '' : `<${action}Result>${xml(result)}</${action}Result>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${xmlns}">${r}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
