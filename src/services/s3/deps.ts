// What the S3 service uses of other services: Lambda's async invoke, SQS, and (once built) SNS and EventBridge,
// declared structurally here with the signatures of their module APIs.
import type { LambdaApi } from '../lambda/index.js';
import type { SqsApi } from '../sqs/index.js';

export interface SnsPublishInput {
  topicArn: string;
  message: string;
  subject?: string;
  messageAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Buffer }>;
  messageStructure?: 'json';
  messageGroupId?: string;
  messageDeduplicationId?: string;
}
export interface SnsApi {
  publish(region: string, input: SnsPublishInput): Promise<{ messageId: string; sequenceNumber?: string }>;
}

export interface EventsPutEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  Resources?: string[];
  EventBusName?: string;
  Time?: Date;
}
export interface EventsApi {
  putEvents(
    region: string,
    entries: EventsPutEntry[],
  ): Promise<{ FailedEntryCount: number; Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[] }>;
}

export interface S3Deps {
  readonly lambda: LambdaApi;
  readonly queues: SqsApi;
  readonly sns?: SnsApi;
  readonly events?: EventsApi;
}
