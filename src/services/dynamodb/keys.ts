// Keys of a table and its indexes: extraction and validation with DynamoDB's messages, and the order-preserving
// text encoding that lets SQL range-scan sort keys (N by numeric value, S by UTF-8 bytes, B by bytes).
import { createHash } from 'node:crypto';
import type { AttributeValue, Item } from './expr/index.js';
import * as E from './errors.js';

export type ScalarType = 'S' | 'N' | 'B';
/** The key of a table or index: hash attribute, optional range attribute, with their types. */
export interface KeySpec {
  readonly hash: string;
  readonly hashType: ScalarType;
  readonly range?: string;
  readonly rangeType?: ScalarType;
}
/** An item key encoded for the store: `pk` for equality, `sk` ('' when no range key) for order. */
export interface EncodedKey { readonly pk: string; readonly sk: string }

export const typeOf = (v: AttributeValue): string => Object.keys(v)[0] ?? '';

/** A decimal string → order-preserving text: sign class, biased exponent, mantissa digits (complemented if negative). */
export function encodeNumber(n: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(n.trim());
  if (!m) return '1';
  const neg = m[1] === '-';
  const int = m[2] ?? '';
  const frac = m[3] ?? '';
  let digits = int + frac;
  let exp = int.length + Number(m[4] ?? 0);
  const lead = digits.search(/[1-9]/);
  if (lead < 0) return '1';
  digits = digits.slice(lead).replace(/0+$/, '');
  exp -= lead;
  const e = String(exp + 500).padStart(4, '0');
  if (!neg) return `2${e}${digits}`;
  const comp = (s: string): string => s.replace(/\d/g, (d) => String(9 - Number(d)));
  return `0${comp(e)}${comp(digits)}:`;
}

/** The canonical text of a number (for equality of hash keys: 1, 1.0 and 10E-1 are one key). */
export const canonicalNumber = (n: string): string => encodeNumber(n);

export function encodeScalar(v: AttributeValue): string {
  if ('S' in v) return v.S;
  if ('N' in v) return encodeNumber(v.N);
  if ('B' in v) return Buffer.from(v.B, 'base64').toString('hex');
  return '';
}

/** The encoded key of an item known to carry its key attributes. */
export function encodeKey(spec: KeySpec, item: Item): EncodedKey {
  const r = spec.range ? item[spec.range] : undefined;
  return { pk: encodeScalar(item[spec.hash]!), sk: r ? encodeScalar(r) : '' };
}

/** A request's Key: exactly the key attributes, each of its type ("The provided key element does not match the schema"). */
export function checkKey(spec: KeySpec, key: unknown): Item {
  if (!key || typeof key !== 'object' || Array.isArray(key)) throw E.keyMismatch();
  const k = key as Item;
  const names = Object.keys(k);
  const want = spec.range ? 2 : 1;
  if (names.length !== want) throw E.keyMismatch();
  for (const [name, type] of [[spec.hash, spec.hashType], ...(spec.range ? [[spec.range, spec.rangeType!]] : [])] as [string, ScalarType][]) {
    const v = k[name];
    if (!v || typeOf(v) !== type) throw E.keyMismatch();
    if ((type === 'S' || type === 'B') && (v as { S?: string; B?: string })[type] === '') throw E.emptyKey(name);
  }
  return { [spec.hash]: k[spec.hash]!, ...(spec.range ? { [spec.range]: k[spec.range]! } : {}) };
}

/** An item to write: it carries the table's key attributes with their types. */
export function checkItemKey(spec: KeySpec, item: Item): void {
  for (const [name, type] of [[spec.hash, spec.hashType], ...(spec.range ? [[spec.range, spec.rangeType!]] : [])] as [string, ScalarType][]) {
    const v = item[name];
    if (!v) throw E.missingKey(name);
    if (typeOf(v) !== type) throw E.keyType(name, type, typeOf(v));
    if ((type === 'S' || type === 'B') && (v as { S?: string; B?: string })[type] === '') throw E.emptyKey(name);
  }
}

/** The key attributes of an item. */
export function keyOf(spec: KeySpec, item: Item): Item {
  return { [spec.hash]: item[spec.hash]!, ...(spec.range && item[spec.range] ? { [spec.range]: item[spec.range]! } : {}) };
}

/**
 * An index's key of an item, or undefined when the item lacks it (sparse index). A present attribute of the wrong
 * type (or an empty string) is refused as DynamoDB does.
 */
export function indexKey(spec: KeySpec, item: Item, index: string): EncodedKey | undefined {
  const h = item[spec.hash];
  const r = spec.range ? item[spec.range] : undefined;
  if (h && typeOf(h) !== spec.hashType) throw E.indexKeyType(spec.hash, spec.hashType, typeOf(h), index);
  if (r && typeOf(r) !== spec.rangeType) throw E.indexKeyType(spec.range!, spec.rangeType!, typeOf(r), index);
  for (const [n, v] of [[spec.hash, h], [spec.range, r]] as [string, AttributeValue | undefined][]) {
    if (v && (('S' in v && v.S === '') || ('B' in v && v.B === ''))) throw E.emptyIndexKey(n, index);
  }
  if (!h || (spec.range && !r)) return undefined;
  return { pk: encodeScalar(h), sk: r ? encodeScalar(r) : '' };
}

/** A 31-bit hash of the encoded hash key: the item's place among Scan segments. */
export function segmentHash(pk: string): number {
  return createHash('md5').update(pk).digest().readUInt32BE(0) >>> 1;
}
