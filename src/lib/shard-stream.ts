// The contract between a sharded stream (Kinesis Data Streams, DynamoDB Streams) and its readers (Lambda's event
// source mappings, EventBridge Pipes): shards with parent/child order, records read after a position, and a wake-up
// hint when a shard grows. A stream service implements ShardStreamSource and exports it through its module API.

export interface StreamShard {
  readonly shardId: string;
  /** Readers finish a parent (and an adjacent parent, after a merge) before reading its children. */
  readonly parentShardId?: string;
  readonly adjacentParentShardId?: string;
  /** Set when the shard is closed (split, merged, or a DynamoDB stream shard rolled over): nothing follows it. */
  readonly endingSequenceNumber?: string;
}

/** Where a reader starts or resumes in one shard. */
export type ShardPosition =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'LATEST' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestampMs: number }
  | { readonly type: 'AT_SEQUENCE_NUMBER'; readonly sequenceNumber: string }
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

export interface StreamRecordRead {
  /** Decimal sequence number, comparable as a big integer within the shard. */
  readonly sequenceNumber: string;
  readonly approximateArrivalMs: number;
  /** Kinesis: the record's partition key; DynamoDB: the item's key as a stable string (ordering is per key). */
  readonly partitionKey: string;
  readonly sizeBytes: number;
  /**
   * The record as it appears in a Lambda event's Records[] entry, without the mapping-level fields the reader adds
   * (eventSourceARN, awsRegion, and for Kinesis eventID/eventVersion/eventName/invokeIdentityArn): Kinesis gives
   * `{ kinesisSchemaVersion, partitionKey, sequenceNumber, data (base64), approximateArrivalTimestamp (seconds) }`
   * as the `kinesis` member; DynamoDB gives the whole record (`eventID`, `eventName`, `eventVersion`, `eventSource`,
   * `dynamodb: {…}`).
   */
  readonly record: unknown;
}

export interface ShardRead {
  readonly records: readonly StreamRecordRead[];
  /** The position to resume from (AFTER the last record returned, or unchanged when none). */
  readonly next: ShardPosition;
  /** Milliseconds between the last record returned (or now, when none) and the newest record of the shard. */
  readonly millisBehindLatest: number;
  /** True when the shard is closed and everything in it has been read: go on with its children. */
  readonly shardEnded: boolean;
}

export interface ShardStreamSource {
  /** The event source name Lambda events carry: `aws:kinesis` or `aws:dynamodb`. */
  readonly eventSource: 'aws:kinesis' | 'aws:dynamodb';
  /** Whether this source serves the ARN (a Kinesis stream or consumer ARN, a DynamoDB stream ARN). */
  owns(arn: string): boolean;
  /** The stream's ARN as readers report it (a consumer ARN resolves to its stream), or undefined when it does not exist. */
  resolve(arn: string): Promise<string | undefined>;
  /** Every shard still holding records, open or closed, parents before children. */
  shards(streamArn: string): Promise<readonly StreamShard[]>;
  /** Up to `limit` records of one shard from a position, in sequence order. */
  read(streamArn: string, shardId: string, from: ShardPosition, limit: number): Promise<ShardRead>;
  /** The notifier channel that is hinted when any shard of the stream receives records. */
  wakeChannel(streamArn: string): string;
}
