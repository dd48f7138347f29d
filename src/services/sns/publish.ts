// Publish's rules, pure: message, Subject, MessageStructure=json, message attributes (types, values, names), the
// 256 KB limit, FIFO group and deduplication ids; and the message as each protocol receives it.
import { createHash } from 'node:crypto';
import { invalidParameter, parameterValueInvalid } from './errors.js';
import type { Topic } from './model.js';

export interface MessageAttributeInput {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: Buffer;
}

export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Buffer;
}

export interface PublishRequest {
  message: string | undefined;
  subject?: string;
  messageStructure?: string;
  messageAttributes?: Record<string, MessageAttributeInput>;
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

/** A checked message, ready to be fanned out. */
export interface Prepared {
  message: string;
  subject?: string;
  /** MessageStructure=json: the per-protocol messages, `default` included. */
  structured?: Record<string, string>;
  attributes: Record<string, MessageAttribute>;
  groupId?: string;
  /** FIFO: the explicit id, or the SHA-256 of the message with ContentBasedDeduplication. */
  dedupId?: string;
  /** The publisher's X-Amzn-Trace-Id (each delivery carries it on). */
  traceHeader?: string;
}

export const MAX_MESSAGE_BYTES = 262_144;

function checkAttributes(attrs: Record<string, MessageAttributeInput>): { attributes: Record<string, MessageAttribute>; size: number } {
  const out: Record<string, MessageAttribute> = {};
  let size = 0;
  const names = Object.keys(attrs);
  if (names.length > 10) throw parameterValueInvalid('Number of message attributes [' + names.length + '] exceeds the allowed maximum [10].');
  for (const name of names) {
    const a = attrs[name]!;
    const lower = name.toLowerCase();
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..') || lower.startsWith('aws.') || lower.startsWith('amazon.'))
      throw parameterValueInvalid(`Invalid attribute name: ${name}`);
    const type = a.DataType;
    if (type === undefined || type === '') throw parameterValueInvalid(`The message attribute '${name}' must contain non-empty message attribute type.`);
    const base = /^(String\.Array|String|Number|Binary)(\..+)?$/.exec(type)?.[1];
    if (!base) throw parameterValueInvalid(`The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    size += Buffer.byteLength(name) + Buffer.byteLength(type);
    if (base === 'Binary') {
      if (!a.BinaryValue || a.BinaryValue.length === 0) throw parameterValueInvalid(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      size += a.BinaryValue.length;
      out[name] = { DataType: type, BinaryValue: a.BinaryValue };
      continue;
    }
    const v = a.StringValue;
    if (v === undefined || v === '') throw parameterValueInvalid(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${base === 'String.Array' ? 'String' : base}'.`);
    if (base === 'Number') {
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v.trim())) throw parameterValueInvalid(`Could not cast message attribute '${name}' value to number.`);
      const n = Number(v);
      if (Math.abs(n) >= 1e126 || (n !== 0 && Math.abs(n) < 1e-128)) throw parameterValueInvalid(`Message attribute '${name}' number value [${v}] scale must be 10^-128 and 10^126.`);
    }
    if (base === 'String.Array') {
      let arr: unknown;
      try {
        arr = JSON.parse(v);
      } catch {
        arr = undefined;
      }
      if (!Array.isArray(arr) || arr.some((x) => x !== null && typeof x === 'object'))
        throw parameterValueInvalid(`The message attribute '${name}' with type 'String.Array' must contain a valid JSON array of strings, numbers, booleans or null.`);
    }
    size += Buffer.byteLength(v);
    out[name] = { DataType: type, StringValue: v };
  }
  return { attributes: out, size };
}

/** Checks a publish request against the topic as AWS does; throws AWS's errors. */
export function preparePublish(topic: Topic, r: PublishRequest): Prepared {
  const message = r.message;
  if (message === undefined) throw invalidParameter('Invalid parameter: Message');
  if (message === '') throw invalidParameter('Invalid parameter: Empty message');
  if (r.subject !== undefined && (r.subject === '' || r.subject.length > 100 || !/^[\x20-\x7e]+$/.test(r.subject) || /^\s/.test(r.subject)))
    throw invalidParameter('Invalid parameter: Subject');
  const { attributes, size } = checkAttributes(r.messageAttributes ?? {});
  if (Buffer.byteLength(message) + size > MAX_MESSAGE_BYTES) throw invalidParameter('Invalid parameter: Message too long');
  let structured: Record<string, string> | undefined;
  if (r.messageStructure !== undefined) {
    if (r.messageStructure !== 'json') throw invalidParameter('Invalid parameter: MessageStructure');
    let v: unknown;
    try {
      v = JSON.parse(message);
    } catch {
      throw invalidParameter('Invalid parameter: Message Structure - JSON message body failed to parse');
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidParameter('Invalid parameter: Message Structure - JSON message body failed to parse');
    const o = v as Record<string, unknown>;
    if (typeof o['default'] !== 'string') throw invalidParameter('Invalid parameter: Message Structure - No default entry in JSON message body');
    structured = {};
    for (const [k, x] of Object.entries(o)) if (typeof x === 'string') structured[k] = x;
  }
  const out: Prepared = { message, attributes, ...(r.subject !== undefined ? { subject: r.subject } : {}), ...(structured ? { structured } : {}) };
  if (topic.fifo) {
    if (!r.messageGroupId) throw invalidParameter('Invalid parameter: The MessageGroupId parameter is required for FIFO topics');
    if (r.messageGroupId.length > 128 || !/^[\x21-\x7e]+$/.test(r.messageGroupId)) throw invalidParameter('Invalid parameter: MessageGroupId Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.');
    out.groupId = r.messageGroupId;
    if (r.messageDeduplicationId !== undefined) {
      if (r.messageDeduplicationId.length > 128 || !/^[\x21-\x7e]+$/.test(r.messageDeduplicationId))
        throw invalidParameter('Invalid parameter: MessageDeduplicationId Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.');
      out.dedupId = r.messageDeduplicationId;
    } else if (topic.attributes['ContentBasedDeduplication'] === 'true') {
      out.dedupId = createHash('sha256').update(message).digest('hex');
    } else {
      throw invalidParameter('Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
    }
  } else if (r.messageDeduplicationId !== undefined) {
    throw invalidParameter('Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type');
  } else if (r.messageGroupId !== undefined) {
    out.groupId = r.messageGroupId;
  }
  return out;
}

/** The message a subscriber of this protocol receives (MessageStructure=json: its key, else `default`). */
export function messageFor(p: Prepared, protocol: string): string {
  return p.structured ? (p.structured[protocol] ?? p.structured['default']!) : p.message;
}
