// The MD5 digests SQS returns and SDKs verify: of the body, and of message attributes in AWS's binary encoding.
import { createHash } from 'node:crypto';
import type { MessageAttribute } from './broker.js';

export const md5Hex = (s: string | Buffer): string => createHash('md5').update(s).digest('hex');

const lengthPrefixed = (b: Buffer): Buffer[] => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return [len, b];
};

/**
 * MD5OfMessageAttributes: attributes sorted by name; for each, length-prefixed (4-byte big-endian) name and data type,
 * one transport byte (1 = string value, 2 = binary value), then the length-prefixed value bytes.
 * Returns undefined for no attributes (SQS omits the field then).
 */
export function md5OfAttributes(attrs: Readonly<Record<string, MessageAttribute>> | undefined): string | undefined {
  if (!attrs) return undefined;
  const names = Object.keys(attrs).sort();
  if (names.length === 0) return undefined;
  const h = createHash('md5');
  for (const name of names) {
    const a = attrs[name]!;
    for (const part of lengthPrefixed(Buffer.from(name, 'utf8'))) h.update(part);
    for (const part of lengthPrefixed(Buffer.from(a.DataType, 'utf8'))) h.update(part);
    if (a.BinaryValue !== undefined) {
      h.update(Buffer.from([2]));
      for (const part of lengthPrefixed(a.BinaryValue)) h.update(part);
    } else {
      h.update(Buffer.from([1]));
      for (const part of lengthPrefixed(Buffer.from(a.StringValue ?? '', 'utf8'))) h.update(part);
    }
  }
  return h.digest('hex');
}

/** Bytes that count towards MaximumMessageSize for one attribute (name, type and value, as SQS counts them). */
export function attributeSize(name: string, a: MessageAttribute): number {
  const value = a.BinaryValue !== undefined ? a.BinaryValue.length : Buffer.byteLength(a.StringValue ?? '', 'utf8');
  return Buffer.byteLength(name, 'utf8') + Buffer.byteLength(a.DataType, 'utf8') + value;
}
