// Which S3 operation a request is: by method, bucket/key presence and subresource query parameters.
import type { S3Ctx } from './context.js';
import type { S3Request } from './door.js';
import { send, sendXml } from './door.js';
import { AwsError } from '../../lib/errors.js';
import * as B from './api-buckets.js';
import * as L from './api-list.js';
import * as O from './api-objects.js';
import * as M from './api-multipart.js';
import type { SqsApi } from '../sqs/index.js';

const has = (r: S3Request, p: string): boolean => r.query.has(p);

function notAllowed(r: S3Request): never {
  throw new AwsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
    status: 405,
    fields: { Method: r.method, ResourceType: r.key === undefined ? 'BUCKET' : 'OBJECT' },
  });
}

export function dispatcher(ctx: S3Ctx, queues: SqsApi): (r: S3Request) => Promise<void> {
  return async (r) => {
    const m = r.method;
    if (r.bucket === undefined) {
      if (m === 'GET') return B.listBuckets(ctx, r);
      return notAllowed(r);
    }
    if (m === 'OPTIONS') return B.preflight(ctx, r);
    if (r.key === undefined) {
      if (has(r, 'versioning') && (m === 'GET' || m === 'PUT')) return B.versioning(ctx, r);
      if (has(r, 'tagging')) return B.bucketTagging(ctx, r);
      if (has(r, 'policy')) return B.bucketPolicy(ctx, r);
      if (has(r, 'cors')) return B.bucketCors(ctx, r);
      if (has(r, 'notification') && (m === 'GET' || m === 'PUT')) return B.notification(ctx, r, queues);
      if (has(r, 'acl')) {
        await ctx.data.bucket(r.bucket);
        r.req.resume();
        if (m === 'PUT') return send(r, 200, {});
        return sendXml(r, 'AccessControlPolicy', [
          ['Owner', B.owner(ctx)],
          ['AccessControlList', [['Grant', [['Grantee', B.owner(ctx)], ['Permission', 'FULL_CONTROL']]]]],
        ]);
      }
      switch (m) {
        case 'PUT':
          return B.createBucket(ctx, r);
        case 'DELETE':
          return B.deleteBucket(ctx, r);
        case 'HEAD':
          return B.headBucket(ctx, r);
        case 'POST':
          if (has(r, 'delete')) return O.deleteObjects(ctx, r);
          return notAllowed(r);
        case 'GET':
          if (has(r, 'location')) return B.getLocation(ctx, r);
          if (has(r, 'uploads')) return M.listUploads(ctx, r);
          if (has(r, 'versions')) return L.listVersions(ctx, r);
          return L.listObjects(ctx, r, r.query.get('list-type') === '2');
        default:
          return notAllowed(r);
      }
    }
    switch (m) {
      case 'PUT':
        if (has(r, 'uploadId')) return r.header('x-amz-copy-source') !== undefined ? M.uploadPartCopy(ctx, r) : M.uploadPart(ctx, r);
        if (has(r, 'tagging')) return O.objectTagging(ctx, r);
        if (r.header('x-amz-copy-source') !== undefined) return O.copyObject(ctx, r);
        return O.putObject(ctx, r);
      case 'GET':
        if (has(r, 'uploadId')) return M.listParts(ctx, r);
        if (has(r, 'tagging')) return O.objectTagging(ctx, r);
        return O.getObject(ctx, r);
      case 'HEAD':
        return O.getObject(ctx, r);
      case 'DELETE':
        if (has(r, 'uploadId')) return M.abortUpload(ctx, r);
        if (has(r, 'tagging')) return O.objectTagging(ctx, r);
        return O.deleteObject(ctx, r);
      case 'POST':
        if (has(r, 'uploads')) return M.createUpload(ctx, r);
        if (has(r, 'uploadId')) return M.completeUpload(ctx, r);
        return notAllowed(r);
      default:
        return notAllowed(r);
    }
  };
}
