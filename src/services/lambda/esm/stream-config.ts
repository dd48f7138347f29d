// Stream mappings' settings (Kinesis, DynamoDB Streams): the request fields, AWS's validation of them, the
// EventSourceMappingConfiguration members they add, and the configuration a StreamPoller runs with.
import { z } from 'zod';
import { AwsError } from '../../../lib/errors.js';
import { parsePattern } from '../../../lib/event-pattern.js';
import type { ShardPosition } from '../../../lib/shard-stream.js';
import { Constraints } from '../validate.js';
import type { StreamMappingConfig } from './stream-shard.js';
import type { StreamSourceName } from './stream-records.js';

/** In the order AWS's validation message lists them. */
export const STARTING_POSITIONS = ['LATEST', 'AT_TIMESTAMP', 'TRIM_HORIZON'] as const;
export type StartingPosition = (typeof STARTING_POSITIONS)[number];

/** What a stream mapping records beyond the fields every mapping has. */
export interface StreamSettings {
  source: StreamSourceName;
  /** The stream the records come from (a Kinesis consumer ARN resolves to its stream). */
  streamArn: string;
  StartingPosition: StartingPosition;
  /** Epoch ms. */
  StartingPositionTimestamp?: number;
  /** When the mapping was created: LATEST reads what arrives from then on. */
  createdAt: number;
  ParallelizationFactor: number;
  MaximumRetryAttempts: number;
  MaximumRecordAgeInSeconds: number;
  BisectBatchOnFunctionError: boolean;
  OnFailure?: string;
  TumblingWindowInSeconds: number;
}

/** The request members only stream mappings use (Create and Update). */
export const StreamFields = {
  ParallelizationFactor: z.number().int().optional(),
  MaximumRetryAttempts: z.number().int().optional(),
  MaximumRecordAgeInSeconds: z.number().int().optional(),
  BisectBatchOnFunctionError: z.boolean().optional(),
  TumblingWindowInSeconds: z.number().int().optional(),
  DestinationConfig: z
    .object({
      OnSuccess: z.object({ Destination: z.string().optional() }).optional(),
      OnFailure: z.object({ Destination: z.string().optional() }).optional(),
    })
    .optional(),
};
const StreamShape = z.object(StreamFields);
type StreamInput = z.infer<typeof StreamShape>;

const sourceLabel = (s: StreamSourceName): string => (s === 'aws:kinesis' ? 'Kinesis' : 'DynamoDB');

/** The stream members a Create or Update request changes. */
export function streamChanges(input: StreamInput): Partial<StreamSettings> {
  const out: Partial<StreamSettings> = {};
  if (input.ParallelizationFactor !== undefined) out.ParallelizationFactor = input.ParallelizationFactor;
  if (input.MaximumRetryAttempts !== undefined) out.MaximumRetryAttempts = input.MaximumRetryAttempts;
  if (input.MaximumRecordAgeInSeconds !== undefined) out.MaximumRecordAgeInSeconds = input.MaximumRecordAgeInSeconds;
  if (input.BisectBatchOnFunctionError !== undefined) out.BisectBatchOnFunctionError = input.BisectBatchOnFunctionError;
  if (input.TumblingWindowInSeconds !== undefined) out.TumblingWindowInSeconds = input.TumblingWindowInSeconds;
  if (input.DestinationConfig !== undefined) {
    if (input.DestinationConfig.OnSuccess?.Destination) {
      throw new AwsError('InvalidParameterValueException', 'Unsupported DestinationConfig parameter for given event source mapping type.');
    }
    out.OnFailure = input.DestinationConfig.OnFailure?.Destination || undefined;
  }
  return out;
}

/** A new mapping's stream settings from CreateEventSourceMapping (defaults as AWS's). */
export function newStreamSettings(
  input: StreamInput & { StartingPosition?: string; StartingPositionTimestamp?: number },
  source: StreamSourceName,
  streamArn: string,
  now: number,
): StreamSettings {
  if (input.StartingPosition === undefined) {
    throw new AwsError('InvalidParameterValueException', "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.");
  }
  new Constraints().oneOf('startingPosition', input.StartingPosition, STARTING_POSITIONS).throwIfAny();
  const position = input.StartingPosition as StartingPosition;
  let timestamp: number | undefined;
  if (position === 'AT_TIMESTAMP') {
    if (source === 'aws:dynamodb') throw new AwsError('InvalidParameterValueException', `Unsupported starting position for the event source type ${sourceLabel(source)}: AT_TIMESTAMP.`);
    if (input.StartingPositionTimestamp === undefined) throw new AwsError('InvalidParameterValueException', 'Need to specify a timestamp');
    timestamp = Math.round(input.StartingPositionTimestamp * 1000);
    if (timestamp > now) throw new AwsError('InvalidParameterValueException', 'StartingPositionTimestamp cannot be in the future.');
  } else if (input.StartingPositionTimestamp !== undefined) {
    throw new AwsError('InvalidParameterValueException', 'StartingPositionTimestamp is only valid with the AT_TIMESTAMP starting position.');
  }
  return {
    source,
    streamArn,
    StartingPosition: position,
    ...(timestamp !== undefined ? { StartingPositionTimestamp: timestamp } : {}),
    createdAt: now,
    ParallelizationFactor: 1,
    MaximumRetryAttempts: -1,
    MaximumRecordAgeInSeconds: -1,
    BisectBatchOnFunctionError: false,
    TumblingWindowInSeconds: 0,
    ...streamChanges(input),
  };
}

/** The tunable fields of a (merged) stream mapping, checked as AWS does. */
export function checkStream(m: {
  BatchSize: number;
  MaximumBatchingWindowInSeconds: number;
  FilterCriteria?: { Filters: { Pattern: string }[] };
  FunctionResponseTypes: string[];
  stream: StreamSettings;
}): void {
  const s = m.stream;
  const c = new Constraints()
    .int('batchSize', m.BatchSize, 1, 10000)
    .int('maximumBatchingWindowInSeconds', m.MaximumBatchingWindowInSeconds, 0, 300)
    .int('parallelizationFactor', s.ParallelizationFactor, 1, 10)
    .int('maximumRetryAttempts', s.MaximumRetryAttempts, -1, 10000)
    .int('maximumRecordAgeInSeconds', s.MaximumRecordAgeInSeconds, -1, 604800)
    .int('tumblingWindowInSeconds', s.TumblingWindowInSeconds, 0, 900);
  if (m.FunctionResponseTypes.length > 1) c.custom('functionResponseTypes', m.FunctionResponseTypes, 'Member must have length less than or equal to 1');
  for (const t of m.FunctionResponseTypes) c.oneOf('functionResponseTypes', t, ['ReportBatchItemFailures']);
  if ((m.FilterCriteria?.Filters.length ?? 0) > 5) c.custom('filterCriteria.filters', m.FilterCriteria!.Filters.length, 'Member must have length less than or equal to 5');
  for (const f of m.FilterCriteria?.Filters ?? []) c.len('filterCriteria.filters.member.pattern', f.Pattern, 0, 4096);
  if (s.OnFailure !== undefined) c.len('destinationConfig.onFailure.destination', s.OnFailure, 0, 350);
  c.throwIfAny();
  if (s.MaximumRecordAgeInSeconds >= 0 && s.MaximumRecordAgeInSeconds < 60) {
    throw new AwsError('InvalidParameterValueException', 'MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800.');
  }
  if (s.OnFailure !== undefined) {
    const p = s.OnFailure.split(':');
    if (p[0] !== 'arn' || (p[2] !== 'sqs' && p[2] !== 'sns') || p.length !== 6) {
      throw new AwsError('InvalidParameterValueException', `The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination=${s.OnFailure})) is invalid: selfless sends stream failure records to SQS queues and SNS topics.`);
    }
  }
  for (const f of m.FilterCriteria?.Filters ?? []) {
    try {
      parsePattern(f.Pattern);
    } catch (e) {
      throw new AwsError('InvalidParameterValueException', `Invalid filter pattern definition. ${e instanceof Error ? e.message : ''}`.trim());
    }
  }
}

/** The members a stream mapping adds to EventSourceMappingConfiguration. */
export function streamWire(s: StreamSettings, lastProcessingResult: string): Record<string, unknown> {
  return {
    StartingPosition: s.StartingPosition,
    ...(s.StartingPositionTimestamp !== undefined ? { StartingPositionTimestamp: s.StartingPositionTimestamp / 1000 } : {}),
    ParallelizationFactor: s.ParallelizationFactor,
    LastProcessingResult: lastProcessingResult,
    DestinationConfig: { OnFailure: s.OnFailure ? { Destination: s.OnFailure } : {} },
    MaximumRecordAgeInSeconds: s.MaximumRecordAgeInSeconds,
    BisectBatchOnFunctionError: s.BisectBatchOnFunctionError,
    MaximumRetryAttempts: s.MaximumRetryAttempts,
    TumblingWindowInSeconds: s.TumblingWindowInSeconds,
  };
}

/** Where a shard without a checkpoint starts: LATEST is pinned to the creation time, so nothing sent after Create is lost. */
export function startingPosition(s: StreamSettings): ShardPosition {
  if (s.StartingPosition === 'TRIM_HORIZON') return { type: 'TRIM_HORIZON' };
  return { type: 'AT_TIMESTAMP', timestampMs: s.StartingPosition === 'AT_TIMESTAMP' ? (s.StartingPositionTimestamp ?? s.createdAt) : s.createdAt };
}

export function pollerConfig(
  m: { UUID: string; region: string; functionName: string; qualifier?: string; FunctionArn: string; BatchSize: number; MaximumBatchingWindowInSeconds: number; FunctionResponseTypes: string[] },
  s: StreamSettings,
  filters: Record<string, unknown>[],
): StreamMappingConfig {
  return {
    uuid: m.UUID,
    region: m.region,
    functionName: m.functionName,
    ...(m.qualifier !== undefined ? { qualifier: m.qualifier } : {}),
    functionArn: m.FunctionArn,
    batchSize: m.BatchSize,
    batchingWindowSeconds: m.MaximumBatchingWindowInSeconds,
    reportBatchItemFailures: m.FunctionResponseTypes.includes('ReportBatchItemFailures'),
    filters,
    source: s.source,
    streamArn: s.streamArn,
    startingPosition: startingPosition(s),
    // A tumbling window's state is per shard: its batches go one at a time.
    parallelization: s.TumblingWindowInSeconds > 0 ? 1 : s.ParallelizationFactor,
    maxRetries: s.MaximumRetryAttempts,
    maxRecordAgeSeconds: s.MaximumRecordAgeInSeconds,
    bisect: s.BisectBatchOnFunctionError,
    ...(s.OnFailure ? { onFailure: s.OnFailure } : {}),
    tumblingWindowSeconds: s.TumblingWindowInSeconds,
  };
}
