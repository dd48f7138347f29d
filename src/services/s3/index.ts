// The S3 service: buckets and objects on the shared endpoint (rest-xml, path and virtual-host style), objects in
// content-addressed blobs, notifications delivered durably to Lambda, SQS, SNS and EventBridge.
import type { ServiceModule } from '../../server/service.js';
import { S3Data } from './data.js';
import { s3Door } from './door.js';
import { dispatcher } from './api.js';
import { NotificationWorker } from './notify.js';
import { BlobSweeper } from './sweep.js';
import type { S3Ctx } from './context.js';
import type { S3Deps } from './deps.js';
import { readObject, writeObject } from './module-objects.js';

export type { S3Deps } from './deps.js';

/** What other services use of S3: bucket policies (the authorizer), object bytes (Signer's signing jobs). */
export interface S3Api {
  /** A bucket's policy (PutBucketPolicy's text), if the bucket exists and has one. */
  bucketPolicy(bucket: string): string | undefined;
  /** An object's bytes (a version, or the current one); S3's NoSuchBucket/NoSuchKey/NoSuchVersion errors otherwise. */
  readObject(bucket: string, key: string, versionId?: string): Promise<{ body: Buffer; versionId: string }>;
  /** Writes an object as PutObject does, notifications included. */
  writeObject(bucket: string, key: string, body: Buffer, contentType: string): Promise<{ versionId: string; etag: string }>;
}

export const s3Service: ServiceModule<S3Deps, S3Api> = {
  name: 's3',
  async create(ctx) {
    const data = new S3Data(ctx.store, ctx.journal, ctx.clock, ctx.notifier);
    await data.init();
    const accountId = ctx.config.accountId;
    const mayInvoke = (region: string, functionArn: string, bucket: string): boolean => {
      const sourceArn = `arn:aws:s3:::${bucket}`;
      if (ctx.deps.lambda.allowsService(region, functionArn, 's3.amazonaws.com', { sourceArn, sourceAccount: accountId })) return true;
      if (ctx.config.authMode === 'enforce') return false;
      ctx.log(`selfless: would be refused on AWS: the policy of ${functionArn} does not allow s3.amazonaws.com to invoke it from ${sourceArn} (AddPermission with Principal s3.amazonaws.com and SourceArn ${sourceArn}); dev mode allows it`);
      return true;
    };
    const s3: S3Ctx = { data, blobs: ctx.store.blobs.objects, clock: ctx.clock, cluster: ctx.cluster, accountId, mayInvoke };
    const worker = new NotificationWorker(ctx.cluster, ctx.clock, ctx.deps, ctx.log);
    const sweeper = new BlobSweeper(data, ctx.store.blobs.objects, ctx.clock, ctx.cluster, ctx.log, undefined, ctx.deps.blobHolders ?? []);
    return {
      routes: {
        raw: [
          s3Door({
            data,
            accountId: ctx.config.accountId,
            defaultRegion: ctx.config.defaultRegion,
            now: () => ctx.clock.now(),
            dispatch: dispatcher(s3, ctx.deps.queues),
            onInternalError: (e, where) => ctx.log(`selfless: internal error in ${where}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
          }),
        ],
      },
      api: {
        bucketPolicy: (bucket) => data.findBucket(bucket)?.config.policy,
        readObject: (bucket, key, versionId) => readObject(s3, bucket, key, versionId),
        writeObject: (bucket, key, body, contentType) => writeObject(s3, bucket, key, body, contentType),
      },
      start: async () => {
        worker.start();
        sweeper.start();
      },
      stop: async () => {
        sweeper.stop();
        await worker.stop();
        data.close();
      },
    };
  },
};
