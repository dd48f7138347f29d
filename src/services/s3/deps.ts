// What the S3 service uses of other services: Lambda's async invoke, SQS, SNS and (declared structurally until it
// lands) EventBridge.
import type { LambdaApi } from '../lambda/index.js';
import type { SnsApi } from '../sns/index.js';
import type { SqsApi } from '../sqs/index.js';

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
  readonly sns: SnsApi;
  readonly events?: EventsApi;
}
