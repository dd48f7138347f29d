// What the S3 service uses of other services: Lambda's async invoke, SQS, SNS and EventBridge.
import type { LambdaApi } from '../lambda/index.js';
import type { EventsApi } from '../events/index.js';
import type { SnsApi } from '../sns/index.js';
import type { SqsApi } from '../sqs/index.js';

export interface S3Deps {
  readonly lambda: LambdaApi;
  readonly queues: SqsApi;
  readonly sns: SnsApi;
  readonly events: EventsApi;
}
