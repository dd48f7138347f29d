// Stream event source mappings' wire shapes: the Lambda event records of Kinesis and DynamoDB Streams, what filters
// see, the partial batch response (sequence numbers), tumbling windows, and the OnFailure record of discarded batches.
import type { StreamRecordRead } from '../../../lib/shard-stream.js';

export type StreamSourceName = 'aws:kinesis' | 'aws:dynamodb';

/** The mapping-level facts every record of a batch carries. */
export interface RecordContext {
  source: StreamSourceName;
  streamArn: string;
  region: string;
  shardId: string;
  /** The function's execution role (Kinesis records carry it as invokeIdentityArn). */
  roleArn: string;
}

/** One record as a Lambda event's Records[] entry (the shapes of AWS's sample kinesis-event.json / dynamodb-event.json). */
export function eventRecord(r: StreamRecordRead, c: RecordContext): Record<string, unknown> {
  if (c.source === 'aws:kinesis') {
    return {
      kinesis: r.record,
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${c.shardId}:${r.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: c.roleArn,
      awsRegion: c.region,
      eventSourceARN: c.streamArn,
    };
  }
  // DynamoDB: the stream's record in AWS's member order, with the region before `dynamodb` and the ARN last.
  const { dynamodb, ...head } = r.record as Record<string, unknown>;
  return { ...head, awsRegion: c.region, ...(dynamodb !== undefined ? { dynamodb } : {}), eventSourceARN: c.streamArn };
}

/**
 * What FilterCriteria patterns are matched against: for Kinesis the `kinesis` member with `data` decoded when it
 * is JSON (data that is not JSON cannot be filtered on, so it is left out); for DynamoDB the whole record.
 */
export function filterView(r: StreamRecordRead, source: StreamSourceName): unknown {
  if (source === 'aws:dynamodb') return r.record;
  const k = { ...(r.record as Record<string, unknown>) };
  const data = k['data'];
  delete k['data'];
  if (typeof data === 'string') {
    try {
      k['data'] = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as unknown;
    } catch {
      /* not JSON: only the metadata can match */
    }
  }
  return k;
}

/** The outcome of a stream batch's response when ReportBatchItemFailures is on. */
export type ItemFailures = { kind: 'none' } | { kind: 'all' } | { kind: 'from'; index: number };

/**
 * Reads `{"batchItemFailures":[{"itemIdentifier":"<sequence number>"}]}` as AWS does for streams: empty or null is
 * complete success; a malformed entry, an empty or unknown identifier fails the whole batch; otherwise Lambda
 * checkpoints before the lowest sequence number reported and retries from there.
 */
export function streamItemFailures(response: unknown, seqs: readonly string[]): ItemFailures {
  if (response === null || response === undefined || typeof response !== 'object' || Array.isArray(response)) return { kind: 'none' };
  const list = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (list === undefined || list === null) return { kind: 'none' };
  if (!Array.isArray(list)) return { kind: 'all' };
  if (list.length === 0) return { kind: 'none' };
  let lowest = Infinity;
  for (const item of list) {
    const id = item && typeof item === 'object' ? (item as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '') return { kind: 'all' };
    const i = seqs.indexOf(id);
    if (i < 0) return { kind: 'all' };
    lowest = Math.min(lowest, i);
  }
  return { kind: 'from', index: lowest };
}

/** Parses a function's JSON response (undefined for an empty body, a string for something that is not JSON). */
export function parseResponse(payload: Buffer): unknown {
  const text = payload.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A tumbling window: aligned to the epoch in multiples of its length, as AWS's windows are. */
export interface Window {
  startMs: number;
  endMs: number;
}

export function windowOf(arrivalMs: number, seconds: number): Window {
  const len = seconds * 1000;
  const startMs = Math.floor(arrivalMs / len) * len;
  return { startMs, endMs: startMs + len };
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The members a tumbling-window invocation adds to the event (kinesis-time-window-event.json). */
export function windowFields(w: Window, state: unknown, shardId: string, streamArn: string, final: boolean): Record<string, unknown> {
  return {
    window: { start: iso(w.startMs), end: iso(w.endMs) },
    state: state ?? {},
    shardId,
    eventSourceARN: streamArn,
    isFinalInvokeForWindow: final,
    isWindowTerminatedEarly: false,
  };
}

export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

export interface FailureInput {
  requestId: string;
  functionArn: string;
  condition: FailureCondition;
  invokeCount: number;
  /** The last invocation's response, when there was one. */
  response?: { statusCode: number; executedVersion: string; functionError?: string };
  nowMs: number;
  source: StreamSourceName;
  shardId: string;
  streamArn: string;
  records: readonly StreamRecordRead[];
}

/** The record Lambda sends to an OnFailure destination for a discarded batch (no record data, only where it was). */
export function failureRecord(f: FailureInput): Record<string, unknown> {
  const first = f.records[0];
  const last = f.records[f.records.length - 1];
  const info = {
    shardId: f.shardId,
    startSequenceNumber: first?.sequenceNumber,
    endSequenceNumber: last?.sequenceNumber,
    approximateArrivalOfFirstRecord: first ? new Date(first.approximateArrivalMs).toISOString() : undefined,
    approximateArrivalOfLastRecord: last ? new Date(last.approximateArrivalMs).toISOString() : undefined,
    batchSize: f.records.length,
    streamArn: f.streamArn,
  };
  return {
    requestContext: { requestId: f.requestId, functionArn: f.functionArn, condition: f.condition, approximateInvokeCount: f.invokeCount },
    responseContext: f.response
      ? { statusCode: f.response.statusCode, executedVersion: f.response.executedVersion, ...(f.response.functionError ? { functionError: f.response.functionError } : {}) }
      : { statusCode: 0, executedVersion: '', functionError: '' },
    version: '1.0',
    timestamp: new Date(f.nowMs).toISOString(),
    [f.source === 'aws:kinesis' ? 'KinesisBatchInfo' : 'DDBStreamBatchInfo']: info,
  };
}

/** Stable small hash of a partition key: which of the ParallelizationFactor lanes its records go to. */
export function laneOf(partitionKey: string, lanes: number): number {
  let h = 2166136261;
  for (let i = 0; i < partitionKey.length; i++) h = Math.imul(h ^ partitionKey.charCodeAt(i), 16777619);
  return (h >>> 0) % lanes;
}
