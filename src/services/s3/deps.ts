// What the S3 service uses of other services: Lambda's async invoke, SQS, SNS and EventBridge, and the other
// holders of object blobs (the container registry), whose blobs its sweep must keep.
import type { LambdaApi } from '../lambda/index.js';
import type { EventsApi } from '../events/index.js';
import type { SnsApi } from '../sns/index.js';
import type { SqsApi } from '../sqs/index.js';

export interface S3Deps {
  readonly lambda: LambdaApi;
  readonly queues: SqsApi;
  readonly sns: SnsApi;
  readonly events: EventsApi;
  /** Other users of the store's object blobs: what they reference is never swept. */
  readonly blobHolders?: readonly { referencedBlobs(): Promise<Set<string>> }[];
}
