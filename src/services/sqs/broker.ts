// The SQS service's module API for other parts of selfless (async destinations and DLQs, event source mappings,
// Step Functions' sqs:sendMessage): queues addressed by ARN, no HTTP involved.

/** A message attribute as SQS carries it (DataType `String`, `Number`, `Binary`, or with a `.custom` suffix). */
export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Buffer;
}

export interface OutgoingMessage {
  body: string;
  /** The X-Ray trace header of the request that caused it: the message's AWSTraceHeader system attribute. */
  traceHeader?: string;
  messageAttributes?: Record<string, MessageAttribute>;
  delaySeconds?: number;
  /** FIFO queues only. */
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  /** System attributes as SQS names them: ApproximateReceiveCount, SentTimestamp, SenderId,
   *  ApproximateFirstReceiveTimestamp, and for FIFO MessageGroupId, MessageDeduplicationId, SequenceNumber. */
  attributes: Record<string, string>;
  messageAttributes: Record<string, MessageAttribute>;
}

export interface SendResult {
  messageId: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  /** FIFO queues only. */
  sequenceNumber?: string;
}

export interface QueueInfo {
  arn: string;
  url: string;
  fifo: boolean;
  visibilityTimeoutSeconds: number;
  /** The queue's access policy (its Policy attribute), if it has one. */
  policy?: string;
}

/** Implemented by the SQS service; errors are AwsErrors (e.g. AWS.SimpleQueueService.NonExistentQueue). */
export interface QueueBroker {
  /** The queue with this ARN, or undefined when it does not exist. */
  queue(queueArn: string): QueueInfo | undefined;
  /** The queue a QueueUrl names (any host; the region from an AWS-style host, else `region`), or undefined. */
  queueByUrl(url: string, region: string): QueueInfo | undefined;
  /** Durable before it resolves. */
  send(queueArn: string, msg: OutgoingMessage): Promise<SendResult>;
  /** Up to `max` visible messages (never waits longer than `waitMs`, measured on the injected clock; 0 = return at
   *  once). `max` may exceed SQS's 10 (up to 10,000, for event source mappings' BatchSize). The messages stay in
   *  flight for `visibilityTimeoutSeconds` (default: the queue's VisibilityTimeout), then are received again, and go
   *  to the queue's dead-letter queue after its RedrivePolicy's maxReceiveCount. */
  receive(queueArn: string, max: number, opts?: { visibilityTimeoutSeconds?: number; waitMs?: number }): Promise<ReceivedMessage[]>;
  /** Durable before it resolves; a receipt handle of a message already gone is ignored, as SQS does. */
  deleteMessages(queueArn: string, receiptHandles: string[]): Promise<void>;
  changeVisibility(queueArn: string, receiptHandle: string, seconds: number): Promise<void>;
  /** Moves received messages to the queue's dead-letter queue now (durable); false when it has none (or the broker
   *  cannot: a test's). */
  moveToDeadLetter?(queueArn: string, receiptHandles: string[]): Promise<boolean>;
  /** Called (without arguments) whenever a message may have become available in the queue (sent, or made visible
   *  again, through any node of a cluster: it listens on the queue's notifier channel, plus a timer for delays and
   *  visibility timeouts ending); returns an unsubscribe. */
  onAvailable(queueArn: string, listener: () => void): () => void;
}
