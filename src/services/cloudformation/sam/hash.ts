// Logical-id hashes exactly as samtranslator makes them: sha1 over Python's json.dumps(sort_keys, compact, ASCII).
import { createHash } from 'node:crypto';

/** Python's `json.dumps(v, separators=(",", ":"), sort_keys=True)` (ensure_ascii on), byte for byte. */
export function pyJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloat(v);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) return `[${v.map(pyJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  return `{${keys.map((k) => `${pyString(k)}:${pyJson(o[k])}`).join(',')}}`;
}

function pyFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : n < 0 ? '-Infinity' : 'NaN';
  const s = String(n);
  // Python writes 1e-05 and 1e+16 where JavaScript writes 1e-5 and 1e+16.
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** A string as Python's json.dumps writes it (ASCII only: everything else as \\uXXXX). */
export function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export const sha1 = (s: string): string => createHash('sha1').update(s, 'utf8').digest('hex');

/** LogicalIdGenerator: prefix + the first 10 hex digits of sha1 of the data (a string is hashed as is). */
export function logicalId(prefix: string, data?: unknown, dataHash?: string): string {
  return prefix + hashOf(data, dataHash);
}

export function hashOf(data: unknown, dataHash?: string, length = 10): string {
  if (dataHash) return dataHash.slice(0, length);
  if (!pyTruthy(data)) return '';
  const str = typeof data === 'string' ? data : pyJson(data);
  return sha1(str).slice(0, length);
}

function pyTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/** Python's `json.dumps(v, sort_keys=True, indent=4, separators=(",", ": "))`, as the state machine definition is written. */
export function pyJsonIndent(v: unknown, indent = 4, level = 0): string {
  const pad = ' '.repeat(indent * (level + 1));
  const end = ' '.repeat(indent * level);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => pad + pyJsonIndent(x, indent, level + 1)).join(',\n')}\n${end}]`;
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((k) => `${pad}${pyJson(k)}: ${pyJsonIndent((v as Record<string, unknown>)[k], indent, level + 1)}`).join(',\n')}\n${end}}`;
  }
  return pyJson(v);
}
