// S3's operations as IAM sees them: which operation a request is (as the door's dispatcher decides), the action it
// authorizes (ListObjectsV2 → s3:ListBucket, a versioned GetObject → s3:GetObjectVersion, the bucket
// sub-configurations' own action names), `arn:aws:s3:::bucket[/key]`, and s3:prefix / s3:max-keys / s3:versionid.
// Sources: Service Authorization Reference, "Actions, resources, and condition keys for Amazon S3"
// (list_amazons3.html) and each operation's "Permissions" paragraph in the S3 API Reference (HeadBucket needs
// s3:ListBucket, HeadObject s3:GetObject, multipart uploads s3:PutObject, DeleteObjects s3:DeleteObject per key,
// CopyObject s3:PutObject on the target and s3:GetObject on the source).
import type { Check, Rule, RuleKit, ServiceRules } from './types.js';

/** The input an S3 request's members make: Bucket, Key, the query's subresources and the headers that matter. */
export function s3Input(bucket: string | undefined, key: string | undefined, query: URLSearchParams, header: (n: string) => string | undefined): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  if (bucket !== undefined) input['Bucket'] = bucket;
  if (key !== undefined) input['Key'] = key;
  for (const [k, v] of query) input[k] = v;
  for (const h of ['x-amz-copy-source', 'x-amz-acl', 'x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id']) {
    const v = header(h);
    if (v !== undefined) input[h] = v;
  }
  return input;
}

/**
 * The operation an S3 request is, decided as src/services/s3/api.ts dispatches it (method, bucket/key presence,
 * subresource query parameters, x-amz-copy-source); undefined for what is no operation (a CORS preflight, a
 * method the door answers MethodNotAllowed to).
 */
export function s3Operation(method: string, bucket: string | undefined, key: string | undefined, query: URLSearchParams, header: (n: string) => string | undefined): string | undefined {
  const has = (p: string): boolean => query.has(p);
  const by = (get: string, put: string, del: string | undefined): string | undefined => (method === 'GET' ? get : method === 'PUT' ? put : method === 'DELETE' ? del : undefined);
  if (bucket === undefined) return method === 'GET' ? 'ListBuckets' : undefined;
  if (method === 'OPTIONS') return undefined;
  if (key === undefined) {
    if (has('versioning')) return by('GetBucketVersioning', 'PutBucketVersioning', undefined);
    if (has('tagging')) return by('GetBucketTagging', 'PutBucketTagging', 'DeleteBucketTagging');
    if (has('policy')) return by('GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy');
    if (has('cors')) return by('GetBucketCors', 'PutBucketCors', 'DeleteBucketCors');
    if (has('notification')) return by('GetBucketNotificationConfiguration', 'PutBucketNotificationConfiguration', undefined);
    if (has('acl')) return by('GetBucketAcl', 'PutBucketAcl', undefined);
    switch (method) {
      case 'PUT':
        return 'CreateBucket';
      case 'DELETE':
        return 'DeleteBucket';
      case 'HEAD':
        return 'HeadBucket';
      case 'POST':
        return has('delete') ? 'DeleteObjects' : undefined;
      case 'GET':
        if (has('location')) return 'GetBucketLocation';
        if (has('uploads')) return 'ListMultipartUploads';
        if (has('versions')) return 'ListObjectVersions';
        return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      default:
        return undefined;
    }
  }
  const copy = header('x-amz-copy-source') !== undefined;
  switch (method) {
    case 'PUT':
      if (has('uploadId')) return copy ? 'UploadPartCopy' : 'UploadPart';
      if (has('tagging')) return 'PutObjectTagging';
      return copy ? 'CopyObject' : 'PutObject';
    case 'GET':
      if (has('uploadId')) return 'ListParts';
      return has('tagging') ? 'GetObjectTagging' : 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      if (has('uploadId')) return 'AbortMultipartUpload';
      return has('tagging') ? 'DeleteObjectTagging' : 'DeleteObject';
    case 'POST':
      if (has('uploads')) return 'CreateMultipartUpload';
      return has('uploadId') ? 'CompleteMultipartUpload' : undefined;
    default:
      return undefined;
  }
}

const bucketArn = (k: RuleKit): string[] => {
  const b = k.str('Bucket');
  return b === undefined ? ['*'] : [`arn:aws:s3:::${b}`];
};
const objectArn = (k: RuleKit): string[] => {
  const b = k.str('Bucket');
  if (b === undefined) return ['*'];
  return [`arn:aws:s3:::${b}/${k.str('Key') ?? ''}`];
};
const version = (k: RuleKit): string | undefined => k.str('versionId') ?? k.str('VersionId');

/** s3:versionid when the request names a version. */
const versionKey = (k: RuleKit): Record<string, string> => {
  const v = version(k);
  return v === undefined ? {} : { 's3:versionid': v };
};

/** An object operation whose action changes when the request names a version (GetObject → GetObjectVersion). */
const objectRule = (plain: string, versioned: string): Rule => ({
  action: (k) => `s3:${version(k) === undefined ? plain : versioned}`,
  resources: objectArn,
  context: versionKey,
});
const versionAware: Record<string, [string, string]> = {
  GetObject: ['GetObject', 'GetObjectVersion'],
  HeadObject: ['GetObject', 'GetObjectVersion'],
  DeleteObject: ['DeleteObject', 'DeleteObjectVersion'],
  GetObjectTagging: ['GetObjectTagging', 'GetObjectVersionTagging'],
  PutObjectTagging: ['PutObjectTagging', 'PutObjectVersionTagging'],
  DeleteObjectTagging: ['DeleteObjectTagging', 'DeleteObjectVersionTagging'],
  GetObjectAcl: ['GetObjectAcl', 'GetObjectVersionAcl'],
  PutObjectAcl: ['PutObjectAcl', 'PutObjectVersionAcl'],
  GetObjectAttributes: ['GetObjectAttributes', 'GetObjectVersionAttributes'],
};

/** `bucket/key` or `/bucket/key?versionId=v` (URL-encoded) → the source object's check. */
function copySource(k: RuleKit): Check[] {
  const raw = k.str('x-amz-copy-source') ?? k.str('CopySource');
  if (raw === undefined) return [];
  let src = raw;
  let v: string | undefined;
  const q = src.indexOf('?');
  if (q >= 0) {
    v = new URLSearchParams(src.slice(q + 1)).get('versionId') ?? undefined;
    src = src.slice(0, q);
  }
  try {
    src = decodeURIComponent(src);
  } catch {
    /* keep it as sent */
  }
  return [{ action: v === undefined ? 's3:GetObject' : 's3:GetObjectVersion', resources: [`arn:aws:s3:::${src.replace(/^\//, '')}`] }];
}

const listKeys = (k: RuleKit): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [q, key] of [['prefix', 's3:prefix'], ['delimiter', 's3:delimiter'], ['max-keys', 's3:max-keys']] as const) {
    const v = k.str(q);
    if (v !== undefined) out[key] = v;
  }
  return out;
};

const putKeys = (k: RuleKit): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const h of ['x-amz-acl', 'x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id', 'x-amz-copy-source']) {
    const v = k.str(h);
    if (v !== undefined) out[`s3:${h}`] = v;
  }
  return out;
};

/** The keys a DeleteObjects body names (`Delete.Objects[].Key`, or `Objects[].Key`). */
function deleteKeys(k: RuleKit): string[] {
  const d = k.input['Delete'];
  const objs = (d !== null && typeof d === 'object' ? (d as Record<string, unknown>)['Objects'] : undefined) ?? k.input['Objects'];
  const b = k.str('Bucket');
  if (!Array.isArray(objs) || b === undefined) return b === undefined ? ['*'] : [`arn:aws:s3:::${b}/*`];
  const out = objs.flatMap((o) => (o !== null && typeof o === 'object' && typeof (o as Record<string, unknown>)['Key'] === 'string' ? [`arn:aws:s3:::${b}/${(o as Record<string, string>)['Key']}`] : []));
  return out.length > 0 ? [...new Set(out)] : [`arn:aws:s3:::${b}/*`];
}

/** Bucket operations whose IAM action has another name; the operations not named here use their own name. */
const bucketActions: Record<string, string> = {
  HeadBucket: 'ListBucket',
  ListObjects: 'ListBucket',
  ListObjectsV2: 'ListBucket',
  ListObjectVersions: 'ListBucketVersions',
  ListMultipartUploads: 'ListBucketMultipartUploads',
  GetBucketCors: 'GetBucketCORS',
  PutBucketCors: 'PutBucketCORS',
  DeleteBucketCors: 'PutBucketCORS',
  DeleteBucketTagging: 'PutBucketTagging',
  GetBucketNotificationConfiguration: 'GetBucketNotification',
  PutBucketNotificationConfiguration: 'PutBucketNotification',
  GetBucketLifecycleConfiguration: 'GetLifecycleConfiguration',
  PutBucketLifecycleConfiguration: 'PutLifecycleConfiguration',
  DeleteBucketLifecycle: 'PutLifecycleConfiguration',
  GetBucketEncryption: 'GetEncryptionConfiguration',
  PutBucketEncryption: 'PutEncryptionConfiguration',
  DeleteBucketEncryption: 'PutEncryptionConfiguration',
  GetBucketReplication: 'GetReplicationConfiguration',
  PutBucketReplication: 'PutReplicationConfiguration',
  DeleteBucketReplication: 'PutReplicationConfiguration',
  GetBucketAccelerateConfiguration: 'GetAccelerateConfiguration',
  PutBucketAccelerateConfiguration: 'PutAccelerateConfiguration',
  GetBucketAnalyticsConfiguration: 'GetAnalyticsConfiguration',
  PutBucketAnalyticsConfiguration: 'PutAnalyticsConfiguration',
  DeleteBucketAnalyticsConfiguration: 'PutAnalyticsConfiguration',
  ListBucketAnalyticsConfigurations: 'GetAnalyticsConfiguration',
  GetBucketInventoryConfiguration: 'GetInventoryConfiguration',
  PutBucketInventoryConfiguration: 'PutInventoryConfiguration',
  DeleteBucketInventoryConfiguration: 'PutInventoryConfiguration',
  ListBucketInventoryConfigurations: 'GetInventoryConfiguration',
  GetBucketMetricsConfiguration: 'GetMetricsConfiguration',
  PutBucketMetricsConfiguration: 'PutMetricsConfiguration',
  DeleteBucketMetricsConfiguration: 'PutMetricsConfiguration',
  ListBucketMetricsConfigurations: 'GetMetricsConfiguration',
  GetBucketIntelligentTieringConfiguration: 'GetIntelligentTieringConfiguration',
  PutBucketIntelligentTieringConfiguration: 'PutIntelligentTieringConfiguration',
  DeleteBucketIntelligentTieringConfiguration: 'PutIntelligentTieringConfiguration',
  ListBucketIntelligentTieringConfigurations: 'GetIntelligentTieringConfiguration',
  DeleteBucketOwnershipControls: 'PutBucketOwnershipControls',
  GetPublicAccessBlock: 'GetBucketPublicAccessBlock',
  PutPublicAccessBlock: 'PutBucketPublicAccessBlock',
  DeletePublicAccessBlock: 'PutBucketPublicAccessBlock',
  GetObjectLockConfiguration: 'GetBucketObjectLockConfiguration',
  PutObjectLockConfiguration: 'PutBucketObjectLockConfiguration',
};

const ops: Record<string, Rule> = {
  ListBuckets: { action: 's3:ListAllMyBuckets' },
  CreateBucket: { resources: bucketArn, context: putKeys },
  ListObjects: { action: 's3:ListBucket', resources: bucketArn, context: listKeys },
  ListObjectsV2: { action: 's3:ListBucket', resources: bucketArn, context: listKeys },
  ListObjectVersions: { action: 's3:ListBucketVersions', resources: bucketArn, context: listKeys },
  PutObject: { resources: objectArn, context: putKeys },
  CreateMultipartUpload: { action: 's3:PutObject', resources: objectArn, context: putKeys },
  UploadPart: { action: 's3:PutObject', resources: objectArn },
  CompleteMultipartUpload: { action: 's3:PutObject', resources: objectArn },
  AbortMultipartUpload: { resources: objectArn },
  ListParts: { action: 's3:ListMultipartUploadParts', resources: objectArn },
  CopyObject: { action: 's3:PutObject', resources: objectArn, context: putKeys, also: copySource },
  UploadPartCopy: { action: 's3:PutObject', resources: objectArn, also: copySource },
  DeleteObjects: { action: 's3:DeleteObject', resources: deleteKeys },
  SelectObjectContent: { action: 's3:GetObject', resources: objectArn },
  RestoreObject: { resources: objectArn, context: versionKey },
  GetObjectLegalHold: { resources: objectArn, context: versionKey },
  PutObjectLegalHold: { resources: objectArn, context: versionKey },
  GetObjectRetention: { resources: objectArn, context: versionKey },
  PutObjectRetention: { resources: objectArn, context: versionKey },
  GetObjectTorrent: { resources: objectArn },
};
for (const [op, [plain, versioned]] of Object.entries(versionAware)) ops[op] = objectRule(plain, versioned);
for (const [op, action] of Object.entries(bucketActions)) ops[op] ??= { action: `s3:${action}`, resources: bucketArn };

export const s3Rules: ServiceRules = {
  prefix: 's3',
  // The remaining bucket configurations authorize an action of their own name, on the bucket or the object.
  fallback: { resources: (k) => (k.str('Key') !== undefined ? objectArn(k) : bucketArn(k)) },
  ops,
};
