// Queue names, URLs, ARNs and attributes: validation and defaults exactly as SQS applies them.
import { AwsError } from '../../lib/errors.js';

export interface QueueAttrs {
  DelaySeconds: number;
  MaximumMessageSize: number;
  MessageRetentionPeriod: number;
  ReceiveMessageWaitTimeSeconds: number;
  VisibilityTimeout: number;
  /** Stored as given (JSON text); parsed into `redrive`. */
  RedrivePolicy?: string;
  RedriveAllowPolicy?: string;
  Policy?: string;
  KmsMasterKeyId?: string;
  KmsDataKeyReusePeriodSeconds?: number;
  SqsManagedSseEnabled: boolean;
  FifoQueue: boolean;
  ContentBasedDeduplication: boolean;
  DeduplicationScope?: string;
  FifoThroughputLimit?: string;
}

export const defaultAttrs = (fifo: boolean): QueueAttrs => ({
  DelaySeconds: 0,
  MaximumMessageSize: 1048576,
  MessageRetentionPeriod: 345600,
  ReceiveMessageWaitTimeSeconds: 0,
  VisibilityTimeout: 30,
  SqsManagedSseEnabled: true,
  FifoQueue: fifo,
  ContentBasedDeduplication: false,
  ...(fifo ? { DeduplicationScope: 'queue', FifoThroughputLimit: 'perQueue' } : {}),
});

const invalidValue = (name: string, reason?: string): AwsError =>
  new AwsError('InvalidAttributeValue', reason ? `Invalid value for the parameter ${name}. Reason: ${reason}` : `Invalid value for the parameter ${name}.`);

const intIn = (name: string, v: string, lo: number, hi: number): number => {
  if (!/^-?\d+$/.test(v.trim())) throw invalidValue(name);
  const n = Number(v.trim());
  if (n < lo || n > hi) throw invalidValue(name);
  return n;
};
const bool = (name: string, v: string): boolean => {
  const t = v.toLowerCase();
  if (t !== 'true' && t !== 'false') throw invalidValue(name);
  return t === 'true';
};

export interface Redrive {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export function parseRedrive(text: string): Redrive | undefined {
  if (text === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new AwsError('InvalidParameterValue', `Value ${text} for parameter RedrivePolicy is invalid. Reason: Invalid JSON.`);
  }
  const o = (v ?? {}) as Record<string, unknown>;
  const arn = o['deadLetterTargetArn'];
  const max = typeof o['maxReceiveCount'] === 'string' ? Number(o['maxReceiveCount']) : o['maxReceiveCount'];
  if (typeof arn !== 'string' || !/^arn:aws:sqs:[^:]+:\d{12}:[\w-]+(\.fifo)?$/.test(arn))
    throw new AwsError('InvalidParameterValue', `Value ${text} for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn.`);
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000)
    throw new AwsError('InvalidParameterValue', `Value ${text} for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: ${String(o['maxReceiveCount'])}, valid values are from 1 to 1000 both inclusive.`);
  return { deadLetterTargetArn: arn, maxReceiveCount: max };
}

type IntAttr = 'DelaySeconds' | 'MaximumMessageSize' | 'MessageRetentionPeriod' | 'ReceiveMessageWaitTimeSeconds' | 'VisibilityTimeout' | 'KmsDataKeyReusePeriodSeconds';
/** The integer attributes and their inclusive bounds, as SQS checks them. */
const INT_BOUNDS: Record<IntAttr, [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 1048576],
  MessageRetentionPeriod: [60, 1209600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43200],
  KmsDataKeyReusePeriodSeconds: [60, 86400],
};

/** Applies SetQueueAttributes/CreateQueue attributes onto a copy of attrs; throws on unknown names or bad values. */
export function applyAttributes(base: QueueAttrs, input: Record<string, string>, creating: boolean): QueueAttrs {
  const a: QueueAttrs = { ...base };
  for (const [name, raw] of Object.entries(input)) {
    const v = String(raw);
    const bounds = Object.hasOwn(INT_BOUNDS, name) ? INT_BOUNDS[name as IntAttr] : undefined;
    if (bounds) {
      a[name as IntAttr] = intIn(name, v, bounds[0], bounds[1]);
      continue;
    }
    switch (name) {
      case 'RedrivePolicy':
        parseRedrive(v);
        if (v === '') delete a.RedrivePolicy;
        else a.RedrivePolicy = v;
        break;
      case 'RedriveAllowPolicy':
      case 'Policy':
        if (v !== '') {
          try {
            JSON.parse(v);
          } catch {
            throw invalidValue(name);
          }
          a[name] = v;
        } else delete a[name];
        break;
      case 'KmsMasterKeyId':
        if (v === '') delete a.KmsMasterKeyId;
        else a.KmsMasterKeyId = v;
        break;
      case 'SqsManagedSseEnabled':
        a.SqsManagedSseEnabled = bool(name, v);
        break;
      case 'FifoQueue':
        if (!creating) throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
        if (bool(name, v) !== base.FifoQueue) throw invalidValue(name);
        break;
      case 'ContentBasedDeduplication':
        if (!base.FifoQueue) throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
        a.ContentBasedDeduplication = bool(name, v);
        break;
      case 'DeduplicationScope':
        if (!base.FifoQueue) throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
        if (v !== 'messageGroup' && v !== 'queue') throw invalidValue(name);
        a.DeduplicationScope = v;
        break;
      case 'FifoThroughputLimit':
        if (!base.FifoQueue) throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
        if (v !== 'perQueue' && v !== 'perMessageGroupId') throw invalidValue(name);
        a.FifoThroughputLimit = v;
        break;
      default:
        throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
  }
  return a;
}

/** The attribute names GetQueueAttributes knows (besides `All`). */
export const QUEUE_ATTRIBUTE_NAMES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'Policy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;

/** The attributes as GetQueueAttributes reports their values (strings), without the computed ones. */
export function attrStrings(a: QueueAttrs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    if ((k === 'FifoQueue' || k === 'ContentBasedDeduplication') && !a.FifoQueue) continue;
    out[k] = String(v);
  }
  return out;
}

const NAME_RE = /^[A-Za-z0-9_-]{1,80}$/;

/** Validates a queue name against the FifoQueue attribute the request gives. */
export function checkQueueName(name: string, fifoAttr: string | undefined): boolean {
  const fifo = fifoAttr !== undefined && fifoAttr.toLowerCase() === 'true';
  if (fifo) {
    if (!name.endsWith('.fifo') || name.length > 80 || !NAME_RE.test(name.slice(0, -5)) || name.length <= 5)
      throw new AwsError(
        'InvalidParameterValue',
        'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.',
      );
    return true;
  }
  if (!NAME_RE.test(name)) throw new AwsError('InvalidParameterValue', 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
  return false;
}

export const queueArn = (region: string, accountId: string, name: string): string => `arn:aws:sqs:${region}:${accountId}:${name}`;

/** Splits an SQS queue ARN; undefined when it is not one. */
export function parseQueueArn(arn: string): { region: string; accountId: string; name: string } | undefined {
  const m = /^arn:aws[\w-]*:sqs:([a-z0-9-]+):(\d{12}):([\w-]+(?:\.fifo)?)$/.exec(arn);
  return m ? { region: m[1]!, accountId: m[2]!, name: m[3]! } : undefined;
}

/**
 * Reads a QueueUrl: `http(s)://host[:port]/<account>/<name>` (ours or AWS's, whose host names the region).
 * Returns the region named by the host when there is one.
 */
export function parseQueueUrl(url: string): { accountId: string; name: string; region?: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const parts = u.pathname.split('/').filter(Boolean);
  if (parts.length !== 2) return undefined;
  const region = /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(u.hostname)?.[1] ?? /^([a-z]{2}-[a-z]+-\d)\.queue\.amazonaws\.com/.exec(u.hostname)?.[1];
  return { accountId: parts[0]!, name: parts[1]!, ...(region ? { region } : {}) };
}
