// Compatibility: S3 through @aws-sdk/client-s3 (rest-xml, path style), lib-storage multipart, presigned URLs with
// curl, a virtual-host request, notifications to SQS and Lambda, and a kill -9 restart.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketCorsCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketCorsCommand,
  GetBucketLocationCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { liveServer, removeServer, startServer, SHARED } from '../helpers/server.js';
import { raw, s3Client } from '../helpers/s3.js';
import { sqsClient } from '../helpers/sqs.js';
import { snsClient } from '../helpers/sns.js';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { createFunction, lambdaClient } from '../helpers/lambda.js';

const run = promisify(execFile);
const server = liveServer();
let client: S3Client | undefined;
const s3 = (): S3Client => (client ??= s3Client(server().url));
after(() => client?.destroy());

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

async function fails(p: Promise<unknown>, name: string, status: number): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number } };
    assert.equal(err.name, name);
    assert.equal(err.$metadata?.httpStatusCode, status);
    return e as Record<string, unknown>;
  }
  assert.fail(`expected ${name}`);
}

async function receiveN(url: string, n: number, timeoutMs = 30_000): Promise<Message[]> {
  const sqs = sqsClient(server().url);
  const out: Message[] = [];
  const end = Date.now() + timeoutMs;
  while (out.length < n && Date.now() < end) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    out.push(...(r.Messages ?? []));
  }
  sqs.destroy();
  return out;
}

test('S3 buckets: create, head (region), location, list, delete, and AWS errors for bad names, duplicates and non-empty buckets', async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-basic' }));
  // us-east-1 answers 200 to a repeated CreateBucket of your own bucket.
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-basic' }));
  const head = await s3().send(new HeadBucketCommand({ Bucket: 'bk-basic' }));
  assert.equal(head.BucketRegion, 'us-east-1');
  assert.equal((await s3().send(new GetBucketLocationCommand({ Bucket: 'bk-basic' }))).LocationConstraint, undefined);
  const eu = s3Client(server().url, 'eu-west-1');
  await eu.send(new CreateBucketCommand({ Bucket: 'bk-eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
  assert.equal((await eu.send(new GetBucketLocationCommand({ Bucket: 'bk-eu' }))).LocationConstraint, 'eu-west-1');
  assert.equal((await s3().send(new HeadBucketCommand({ Bucket: 'bk-eu' }))).BucketRegion, 'eu-west-1');
  await fails(eu.send(new CreateBucketCommand({ Bucket: 'bk-eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })), 'BucketAlreadyOwnedByYou', 409);
  eu.destroy();
  const names = (await s3().send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name);
  assert.ok(names.includes('bk-basic') && names.includes('bk-eu'));
  await fails(s3().send(new CreateBucketCommand({ Bucket: 'Bad_Name' })), 'InvalidBucketName', 400);
  await fails(s3().send(new CreateBucketCommand({ Bucket: 'ab' })), 'InvalidBucketName', 400);
  await s3().send(new PutObjectCommand({ Bucket: 'bk-basic', Key: 'x', Body: 'x' }));
  await fails(s3().send(new DeleteBucketCommand({ Bucket: 'bk-basic' })), 'BucketNotEmpty', 409);
  await s3().send(new DeleteObjectCommand({ Bucket: 'bk-basic', Key: 'x' }));
  await s3().send(new DeleteBucketCommand({ Bucket: 'bk-basic' }));
  await fails(s3().send(new HeadBucketCommand({ Bucket: 'bk-basic' })), 'NotFound', 404);
  const e = await fails(s3().send(new GetObjectCommand({ Bucket: 'bk-basic', Key: 'x' })), 'NoSuchBucket', 404);
  assert.equal(e['BucketName'], 'bk-basic');
});

test('S3 objects: put and get round trip bytes, ETag (MD5), content headers, user metadata and response-* overrides; NoSuchKey has AWS’s body', async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-obj' }));
  const body = randomBytes(100_000);
  const put = await s3().send(
    new PutObjectCommand({
      Bucket: 'bk-obj',
      Key: 'dir/file one.bin',
      Body: body,
      ContentType: 'application/x-test',
      ContentDisposition: 'attachment',
      CacheControl: 'max-age=60',
      ContentLanguage: 'en',
      Metadata: { color: 'blue', 'two-words': 'a b' },
    }),
  );
  assert.equal(put.ETag, `"${md5(body)}"`);
  const got = await s3().send(new GetObjectCommand({ Bucket: 'bk-obj', Key: 'dir/file one.bin' }));
  assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body);
  assert.equal(got.ETag, put.ETag);
  assert.equal(got.ContentType, 'application/x-test');
  assert.equal(got.ContentDisposition, 'attachment');
  assert.equal(got.CacheControl, 'max-age=60');
  assert.equal(got.ContentLanguage, 'en');
  assert.equal(got.ContentLength, body.length);
  assert.deepEqual(got.Metadata, { color: 'blue', 'two-words': 'a b' });
  const head = await s3().send(new HeadObjectCommand({ Bucket: 'bk-obj', Key: 'dir/file one.bin' }));
  assert.equal(head.ContentLength, body.length);
  assert.equal(head.ETag, put.ETag);
  const over = await s3().send(new GetObjectCommand({ Bucket: 'bk-obj', Key: 'dir/file one.bin', ResponseContentType: 'text/plain', ResponseCacheControl: 'no-cache' }));
  await over.Body!.transformToByteArray();
  assert.equal(over.ContentType, 'text/plain');
  assert.equal(over.CacheControl, 'no-cache');
  const e = await fails(s3().send(new GetObjectCommand({ Bucket: 'bk-obj', Key: 'missing' })), 'NoSuchKey', 404);
  assert.equal(e['Key'], 'missing');
  const r = await raw(server().url, 'GET', '/bk-obj/missing');
  const text = r.body.toString();
  assert.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>missing<\/Key><RequestId>[^<]+<\/RequestId><HostId>[^<]+<\/HostId><\/Error>$/);
  const h = await raw(server().url, 'HEAD', '/bk-obj/missing');
  assert.equal(h.status, 404);
  assert.equal(h.body.length, 0);
  await s3().send(new PutObjectCommand({ Bucket: 'bk-obj', Key: 'empty', Body: '' }));
  const empty = await s3().send(new GetObjectCommand({ Bucket: 'bk-obj', Key: 'empty' }));
  assert.equal((await empty.Body!.transformToByteArray()).length, 0);
  assert.equal(empty.ETag, '"d41d8cd98f00b204e9800998ecf8427e"');
});

test('S3 GetObject: ranges (closed, open, suffix) answer 206 with Content-Range; an unsatisfiable range is 416 InvalidRange', async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-range' }));
  const body = Buffer.from('0123456789abcdefghij');
  await s3().send(new PutObjectCommand({ Bucket: 'bk-range', Key: 'r', Body: body }));
  const get = async (range: string) => {
    const g = await s3().send(new GetObjectCommand({ Bucket: 'bk-range', Key: 'r', Range: range }));
    return { text: Buffer.from(await g.Body!.transformToByteArray()).toString(), range: g.ContentRange, len: g.ContentLength, status: g.$metadata.httpStatusCode };
  };
  assert.deepEqual(await get('bytes=2-5'), { text: '2345', range: 'bytes 2-5/20', len: 4, status: 206 });
  assert.deepEqual(await get('bytes=15-'), { text: 'fghij', range: 'bytes 15-19/20', len: 5, status: 206 });
  assert.deepEqual(await get('bytes=-3'), { text: 'hij', range: 'bytes 17-19/20', len: 3, status: 206 });
  assert.deepEqual(await get('bytes=18-100'), { text: 'ij', range: 'bytes 18-19/20', len: 2, status: 206 });
  await fails(s3().send(new GetObjectCommand({ Bucket: 'bk-range', Key: 'r', Range: 'bytes=20-30' })), 'InvalidRange', 416);
});

test('S3 conditional reads: If-None-Match and If-Modified-Since give 304, If-Match and If-Unmodified-Since give 412 PreconditionFailed', async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-cond' }));
  const put = await s3().send(new PutObjectCommand({ Bucket: 'bk-cond', Key: 'c', Body: 'cond' }));
  const g = (o: Record<string, unknown>) => s3().send(new GetObjectCommand({ Bucket: 'bk-cond', Key: 'c', ...o }));
  // A 304 has no body, so the SDK names the error after nothing (as it does against AWS): the status tells.
  const notModified = async (p: Promise<unknown>): Promise<void> => {
    await assert.rejects(p, (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode === 304);
  };
  await notModified(g({ IfNoneMatch: put.ETag }));
  await notModified(g({ IfModifiedSince: new Date(Date.now() + 3600_000) }));
  await fails(g({ IfMatch: '"0000"' }), 'PreconditionFailed', 412);
  await fails(g({ IfUnmodifiedSince: new Date(Date.now() - 3600_000 * 24) }), 'PreconditionFailed', 412);
  const ok = await g({ IfMatch: put.ETag, IfUnmodifiedSince: new Date(Date.now() - 3600_000 * 24) });
  assert.equal(await ok.Body!.transformToString(), 'cond');
});

test('S3 CopyObject: metadata COPY and REPLACE, a version-less self copy refused, conditional copy headers checked', async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-copy' }));
  await s3().send(new PutObjectCommand({ Bucket: 'bk-copy', Key: 'src key', Body: 'copied bytes', ContentType: 'text/x-a', Metadata: { a: '1' } }));
  const c1 = await s3().send(new CopyObjectCommand({ Bucket: 'bk-copy', Key: 'dst1', CopySource: 'bk-copy/src%20key' }));
  assert.equal(c1.CopyObjectResult?.ETag, `"${md5('copied bytes')}"`);
  const d1 = await s3().send(new GetObjectCommand({ Bucket: 'bk-copy', Key: 'dst1' }));
  assert.equal(await d1.Body!.transformToString(), 'copied bytes');
  assert.equal(d1.ContentType, 'text/x-a');
  assert.deepEqual(d1.Metadata, { a: '1' });
  await s3().send(new CopyObjectCommand({ Bucket: 'bk-copy', Key: 'dst2', CopySource: 'bk-copy/src%20key', MetadataDirective: 'REPLACE', ContentType: 'text/x-b', Metadata: { b: '2' } }));
  const d2 = await s3().send(new HeadObjectCommand({ Bucket: 'bk-copy', Key: 'dst2' }));
  assert.equal(d2.ContentType, 'text/x-b');
  assert.deepEqual(d2.Metadata, { b: '2' });
  await fails(s3().send(new CopyObjectCommand({ Bucket: 'bk-copy', Key: 'src key', CopySource: 'bk-copy/src%20key' })), 'InvalidRequest', 400);
  await fails(s3().send(new CopyObjectCommand({ Bucket: 'bk-copy', Key: 'dst3', CopySource: 'bk-copy/src%20key', CopySourceIfMatch: '"nope"' })), 'PreconditionFailed', 412);
  await fails(s3().send(new CopyObjectCommand({ Bucket: 'bk-copy', Key: 'dst3', CopySource: 'bk-copy/none' })), 'NoSuchKey', 404);
});

test('S3 listing: v2 prefix, delimiter, CommonPrefixes, MaxKeys with continuation, StartAfter, EncodingType=url; v1 with Marker', async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-list' }));
  const keys = ['a/1', 'a/2', 'a/b/3', 'b/1', 'c', 'd e', 'd+f', 'z/ü'];
  for (const k of keys) await s3().send(new PutObjectCommand({ Bucket: 'bk-list', Key: k, Body: k }));
  const all = await s3().send(new ListObjectsV2Command({ Bucket: 'bk-list' }));
  assert.deepEqual(all.Contents!.map((c) => c.Key), keys);
  assert.equal(all.KeyCount, keys.length);
  const d = await s3().send(new ListObjectsV2Command({ Bucket: 'bk-list', Delimiter: '/' }));
  assert.deepEqual(d.CommonPrefixes!.map((p) => p.Prefix), ['a/', 'b/', 'z/']);
  assert.deepEqual(d.Contents!.map((c) => c.Key), ['c', 'd e', 'd+f']);
  const p = await s3().send(new ListObjectsV2Command({ Bucket: 'bk-list', Prefix: 'a/', Delimiter: '/' }));
  assert.deepEqual(p.Contents!.map((c) => c.Key), ['a/1', 'a/2']);
  assert.deepEqual(p.CommonPrefixes!.map((x) => x.Prefix), ['a/b/']);
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await s3().send(new ListObjectsV2Command({ Bucket: 'bk-list', MaxKeys: 3, ContinuationToken: token, Delimiter: '/' }));
    seen.push(...(page.Contents ?? []).map((c) => c.Key!), ...(page.CommonPrefixes ?? []).map((c) => c.Prefix!));
    token = page.NextContinuationToken;
    pages++;
    assert.equal(page.IsTruncated, token !== undefined);
  } while (token);
  assert.equal(pages, 2);
  assert.deepEqual(seen.sort(), ['a/', 'b/', 'c', 'd e', 'd+f', 'z/'].sort());
  const sa = await s3().send(new ListObjectsV2Command({ Bucket: 'bk-list', StartAfter: 'c' }));
  assert.deepEqual(sa.Contents!.map((c) => c.Key), ['d e', 'd+f', 'z/ü']);
  const enc = await raw(server().url, 'GET', '/bk-list?list-type=2&prefix=d&encoding-type=url');
  assert.match(enc.body.toString(), /<Key>d%20e<\/Key>/);
  assert.match(enc.body.toString(), /<Key>d%2Bf<\/Key>/);
  const v1 = await s3().send(new ListObjectsCommand({ Bucket: 'bk-list', Marker: 'b/1', MaxKeys: 2 }));
  assert.deepEqual(v1.Contents!.map((c) => c.Key), ['c', 'd e']);
  assert.equal(v1.IsTruncated, true);
  const v1d = await s3().send(new ListObjectsCommand({ Bucket: 'bk-list', Delimiter: '/', MaxKeys: 1 }));
  assert.equal(v1d.NextMarker, 'a/');
  await fails(s3().send(new ListObjectsV2Command({ Bucket: 'bk-list', MaxKeys: -1 })), 'InvalidArgument', 400);
});

test('S3 DeleteObjects: reports each key deleted, nothing in Quiet mode', async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-del' }));
  for (const k of ['1', '2', '3']) await s3().send(new PutObjectCommand({ Bucket: 'bk-del', Key: k, Body: k }));
  const r = await s3().send(new DeleteObjectsCommand({ Bucket: 'bk-del', Delete: { Objects: [{ Key: '1' }, { Key: 'absent' }] } }));
  assert.deepEqual(r.Deleted!.map((d) => d.Key).sort(), ['1', 'absent']);
  const q = await s3().send(new DeleteObjectsCommand({ Bucket: 'bk-del', Delete: { Objects: [{ Key: '2' }, { Key: '3' }], Quiet: true } }));
  assert.equal(q.Deleted, undefined);
  assert.equal((await s3().send(new ListObjectsV2Command({ Bucket: 'bk-del' }))).KeyCount, 0);
});

test('S3 checksums: SHA256/CRC32C uploads stored and returned with ChecksumMode; a wrong checksum or Content-MD5 is BadDigest and stores nothing', async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-sum' }));
  const body = Buffer.from('checksummed');
  const put = await s3().send(new PutObjectCommand({ Bucket: 'bk-sum', Key: 's', Body: body, ChecksumAlgorithm: 'SHA256' }));
  assert.equal(put.ChecksumSHA256, createHash('sha256').update(body).digest('base64'));
  const got = await s3().send(new GetObjectCommand({ Bucket: 'bk-sum', Key: 's', ChecksumMode: 'ENABLED' }));
  await got.Body!.transformToByteArray();
  assert.equal(got.ChecksumSHA256, put.ChecksumSHA256);
  const c = await s3().send(new PutObjectCommand({ Bucket: 'bk-sum', Key: 'c', Body: body, ChecksumAlgorithm: 'CRC32C' }));
  assert.ok(c.ChecksumCRC32C);
  const bad = await raw(server().url, 'PUT', '/bk-sum/bad', { 'content-length': '3', 'x-amz-checksum-crc32': 'AAAAAA==' }, 'abc');
  assert.equal(bad.status, 400);
  assert.match(bad.body.toString(), /<Code>BadDigest<\/Code>/);
  const badMd5 = await raw(server().url, 'PUT', '/bk-sum/bad', { 'content-length': '3', 'content-md5': createHash('md5').update('xyz').digest('base64') }, 'abc');
  assert.equal(badMd5.status, 400);
  assert.match(badMd5.body.toString(), /<Code>BadDigest<\/Code>/);
  await fails(s3().send(new HeadObjectCommand({ Bucket: 'bk-sum', Key: 'bad' })), 'NotFound', 404);
  const tooBig = await raw(server().url, 'PUT', '/bk-sum/huge', { 'content-length': String(5 * 1024 ** 3 + 1) });
  assert.equal(tooBig.status, 400);
  assert.match(tooBig.body.toString(), /<Code>EntityTooLarge<\/Code>/);
});

test('S3 multipart: lib-storage Upload round trips, ETag is MD5 of part MD5s -N; parts are listed; Complete checks parts, order and sizes', async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-mp' }));
  const body = randomBytes(12 * 1024 * 1024 + 123);
  await new Upload({ client: s3(), params: { Bucket: 'bk-mp', Key: 'big', Body: body }, partSize: 5 * 1024 * 1024, queueSize: 2 }).done();
  const got = await s3().send(new GetObjectCommand({ Bucket: 'bk-mp', Key: 'big' }));
  const back = Buffer.from(await got.Body!.transformToByteArray());
  assert.equal(md5(back), md5(body));
  const parts = [body.subarray(0, 5 << 20), body.subarray(5 << 20, 10 << 20), body.subarray(10 << 20)];
  const want = createHash('md5').update(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()))).digest('hex');
  assert.equal(got.ETag, `"${want}-3"`);
  const ranged = await s3().send(new GetObjectCommand({ Bucket: 'bk-mp', Key: 'big', Range: `bytes=${(5 << 20) - 10}-${(5 << 20) + 9}` }));
  assert.deepEqual(Buffer.from(await ranged.Body!.transformToByteArray()), body.subarray((5 << 20) - 10, (5 << 20) + 10));

  const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: 'bk-mp', Key: 'manual' }));
  const small = Buffer.alloc(1024, 1);
  const p1 = await s3().send(new UploadPartCommand({ Bucket: 'bk-mp', Key: 'manual', UploadId, PartNumber: 1, Body: small }));
  const p2 = await s3().send(new UploadPartCommand({ Bucket: 'bk-mp', Key: 'manual', UploadId, PartNumber: 2, Body: small }));
  const listed = await s3().send(new ListPartsCommand({ Bucket: 'bk-mp', Key: 'manual', UploadId }));
  assert.deepEqual(listed.Parts!.map((p) => [p.PartNumber, p.Size, p.ETag]), [[1, 1024, p1.ETag], [2, 1024, p2.ETag]]);
  const ups = await s3().send(new ListMultipartUploadsCommand({ Bucket: 'bk-mp' }));
  assert.deepEqual(ups.Uploads!.map((u) => u.UploadId), [UploadId]);
  const complete = (Parts: { PartNumber: number; ETag?: string }[]) => s3().send(new CompleteMultipartUploadCommand({ Bucket: 'bk-mp', Key: 'manual', UploadId, MultipartUpload: { Parts } }));
  await fails(complete([{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.ETag }]), 'InvalidPartOrder', 400);
  await fails(complete([{ PartNumber: 1, ETag: '"beef"' }]), 'InvalidPart', 400);
  await fails(complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }]), 'EntityTooSmall', 400);
  // A copied part refers to the source object's bytes.
  const pc = await s3().send(new UploadPartCopyCommand({ Bucket: 'bk-mp', Key: 'manual', UploadId, PartNumber: 1, CopySource: 'bk-mp/big', CopySourceRange: 'bytes=0-5242879' }));
  const done = await complete([{ PartNumber: 1, ETag: pc.CopyPartResult!.ETag }, { PartNumber: 2, ETag: p2.ETag }]);
  assert.match(done.ETag!, /-2"$/);
  const m = await s3().send(new GetObjectCommand({ Bucket: 'bk-mp', Key: 'manual' }));
  assert.equal(md5(Buffer.from(await m.Body!.transformToByteArray())), md5(Buffer.concat([body.subarray(0, 5 << 20), small])));
  await fails(complete([{ PartNumber: 1, ETag: p1.ETag }]), 'NoSuchUpload', 404);
  const { UploadId: aborted } = await s3().send(new CreateMultipartUploadCommand({ Bucket: 'bk-mp', Key: 'gone' }));
  await s3().send(new AbortMultipartUploadCommand({ Bucket: 'bk-mp', Key: 'gone', UploadId: aborted }));
  await fails(s3().send(new UploadPartCommand({ Bucket: 'bk-mp', Key: 'gone', UploadId: aborted, PartNumber: 1, Body: small })), 'NoSuchUpload', 404);
  await fails(s3().send(new UploadPartCommand({ Bucket: 'bk-mp', Key: 'manual', UploadId: 'x', PartNumber: 10001, Body: small })), 'InvalidArgument', 400);
});

test('S3 presigned URLs: GET and PUT work from curl; an expired URL is 403 AccessDenied "Request has expired"', async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-pre' }));
  await s3().send(new PutObjectCommand({ Bucket: 'bk-pre', Key: 'p', Body: 'presigned body' }));
  const getUrl = await getSignedUrl(s3(), new GetObjectCommand({ Bucket: 'bk-pre', Key: 'p' }), { expiresIn: 300 });
  const { stdout } = await run('curl', ['-s', getUrl]);
  assert.equal(stdout, 'presigned body');
  const putUrl = await getSignedUrl(s3(), new PutObjectCommand({ Bucket: 'bk-pre', Key: 'uploaded' }), { expiresIn: 300 });
  const up = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '--data-binary', 'from curl', putUrl]);
  assert.equal(up.stdout, '200');
  const got = await s3().send(new GetObjectCommand({ Bucket: 'bk-pre', Key: 'uploaded' }));
  assert.equal(await got.Body!.transformToString(), 'from curl');
  const old = await getSignedUrl(s3(), new GetObjectCommand({ Bucket: 'bk-pre', Key: 'p' }), { expiresIn: 1, signingDate: new Date(Date.now() - 3600_000) });
  const exp = await run('curl', ['-s', '-w', '\n%{http_code}', old]);
  assert.match(exp.stdout, /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
  assert.match(exp.stdout, /\n403$/);
});

test('S3 virtual-host style: <bucket>.s3.localhost names the bucket, the path the key', async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-vhost' }));
  const port = new URL(server().url).port;
  // *.localhost may not resolve on this machine: the request goes to 127.0.0.1 with the Host header set.
  const put = await raw(server().url, 'PUT', '/some/key.txt', { host: `bk-vhost.s3.localhost:${port}`, 'content-length': '5', authorization: '' }, 'vhost');
  assert.equal(put.status, 200);
  const got = await s3().send(new GetObjectCommand({ Bucket: 'bk-vhost', Key: 'some/key.txt' }));
  assert.equal(await got.Body!.transformToString(), 'vhost');
  const list = await raw(server().url, 'GET', '/?list-type=2', { host: `bk-vhost.s3.localhost:${port}`, authorization: '' });
  assert.match(list.body.toString(), /<Key>some\/key.txt<\/Key>/);
});

test('S3 versioning: versions per put, delete markers, reads by versionId, ListObjectVersions, suspended puts the null version', async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-ver' }));
  assert.equal((await s3().send(new GetBucketVersioningCommand({ Bucket: 'bk-ver' }))).Status, undefined);
  await s3().send(new PutBucketVersioningCommand({ Bucket: 'bk-ver', VersioningConfiguration: { Status: 'Enabled' } }));
  assert.equal((await s3().send(new GetBucketVersioningCommand({ Bucket: 'bk-ver' }))).Status, 'Enabled');
  const v1 = await s3().send(new PutObjectCommand({ Bucket: 'bk-ver', Key: 'k', Body: 'one' }));
  const v2 = await s3().send(new PutObjectCommand({ Bucket: 'bk-ver', Key: 'k', Body: 'two' }));
  assert.ok(v1.VersionId && v2.VersionId && v1.VersionId !== v2.VersionId);
  assert.equal(await (await s3().send(new GetObjectCommand({ Bucket: 'bk-ver', Key: 'k' }))).Body!.transformToString(), 'two');
  assert.equal(await (await s3().send(new GetObjectCommand({ Bucket: 'bk-ver', Key: 'k', VersionId: v1.VersionId }))).Body!.transformToString(), 'one');
  const del = await s3().send(new DeleteObjectCommand({ Bucket: 'bk-ver', Key: 'k' }));
  assert.equal(del.DeleteMarker, true);
  await fails(s3().send(new GetObjectCommand({ Bucket: 'bk-ver', Key: 'k' })), 'NoSuchKey', 404);
  const lv = await s3().send(new ListObjectVersionsCommand({ Bucket: 'bk-ver' }));
  assert.deepEqual(lv.Versions!.map((v) => [v.VersionId, v.IsLatest]), [[v2.VersionId, false], [v1.VersionId, false]]);
  assert.deepEqual(lv.DeleteMarkers!.map((v) => [v.VersionId, v.IsLatest]), [[del.VersionId, true]]);
  assert.equal((await s3().send(new ListObjectsV2Command({ Bucket: 'bk-ver' }))).KeyCount, 0);
  await s3().send(new DeleteObjectCommand({ Bucket: 'bk-ver', Key: 'k', VersionId: del.VersionId }));
  assert.equal(await (await s3().send(new GetObjectCommand({ Bucket: 'bk-ver', Key: 'k' }))).Body!.transformToString(), 'two');
  await fails(s3().send(new GetObjectCommand({ Bucket: 'bk-ver', Key: 'k', VersionId: 'A'.repeat(32) })), 'NoSuchVersion', 404);
  await s3().send(new PutBucketVersioningCommand({ Bucket: 'bk-ver', VersioningConfiguration: { Status: 'Suspended' } }));
  const s1 = await s3().send(new PutObjectCommand({ Bucket: 'bk-ver', Key: 'k', Body: 'three' }));
  assert.equal(s1.VersionId, 'null');
  const lv2 = await s3().send(new ListObjectVersionsCommand({ Bucket: 'bk-ver', Prefix: 'k' }));
  assert.deepEqual(lv2.Versions!.map((v) => v.VersionId), ['null', v2.VersionId, v1.VersionId]);
});

test('S3 tagging, policy and CORS: stored and read back; CORS answers preflights and adds headers for allowed origins', async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-cfg' }));
  await fails(s3().send(new GetBucketTaggingCommand({ Bucket: 'bk-cfg' })), 'NoSuchTagSet', 404);
  await s3().send(new PutBucketTaggingCommand({ Bucket: 'bk-cfg', Tagging: { TagSet: [{ Key: 'team', Value: 'a' }] } }));
  assert.deepEqual((await s3().send(new GetBucketTaggingCommand({ Bucket: 'bk-cfg' }))).TagSet, [{ Key: 'team', Value: 'a' }]);
  await s3().send(new PutObjectCommand({ Bucket: 'bk-cfg', Key: 'o', Body: 'o', Tagging: 'x=1&y=2' }));
  assert.deepEqual((await s3().send(new GetObjectTaggingCommand({ Bucket: 'bk-cfg', Key: 'o' }))).TagSet, [{ Key: 'x', Value: '1' }, { Key: 'y', Value: '2' }]);
  await s3().send(new PutObjectTaggingCommand({ Bucket: 'bk-cfg', Key: 'o', Tagging: { TagSet: [{ Key: 'z', Value: '3' }] } }));
  assert.deepEqual((await s3().send(new GetObjectTaggingCommand({ Bucket: 'bk-cfg', Key: 'o' }))).TagSet, [{ Key: 'z', Value: '3' }]);
  await fails(s3().send(new GetBucketPolicyCommand({ Bucket: 'bk-cfg' })), 'NoSuchBucketPolicy', 404);
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bk-cfg/*' }] });
  await s3().send(new PutBucketPolicyCommand({ Bucket: 'bk-cfg', Policy: policy }));
  assert.equal((await s3().send(new GetBucketPolicyCommand({ Bucket: 'bk-cfg' }))).Policy, policy);
  await fails(s3().send(new PutBucketPolicyCommand({ Bucket: 'bk-cfg', Policy: 'not json' })), 'MalformedPolicy', 400);
  await s3().send(
    new PutBucketCorsCommand({
      Bucket: 'bk-cfg',
      CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['https://app.example'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 }] },
    }),
  );
  assert.deepEqual((await s3().send(new GetBucketCorsCommand({ Bucket: 'bk-cfg' }))).CORSRules![0]!.AllowedMethods, ['GET', 'PUT']);
  const pre = await fetch(`${server().url}/bk-cfg/o`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' } });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.equal(pre.headers.get('access-control-max-age'), '600');
  const denied = await fetch(`${server().url}/bk-cfg/o`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
  assert.equal(denied.status, 403);
  const actual = await raw(server().url, 'GET', '/bk-cfg/o', { origin: 'https://app.example' });
  assert.equal(actual.headers['access-control-allow-origin'], 'https://app.example');
  assert.equal(actual.headers['access-control-expose-headers'], 'ETag');
  await s3().send(new DeleteBucketCorsCommand({ Bucket: 'bk-cfg' }));
  await fails(s3().send(new GetBucketCorsCommand({ Bucket: 'bk-cfg' })), 'NoSuchCORSConfiguration', 404);
});

test('S3 notifications to SQS: the TestEvent on configuration, then ObjectCreated and ObjectRemoved records filtered by prefix and suffix', async () => {
  const sqs = sqsClient(server().url);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 's3-events' }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
  sqs.destroy();
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-notify' }));
  await fails(
    s3().send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: 'bk-notify',
        NotificationConfiguration: { QueueConfigurations: [{ QueueArn: arn, Events: ['s3:ObjectCreated:*'] }, { QueueArn: arn, Events: ['s3:ObjectCreated:Put'] }] },
      }),
    ),
    'InvalidArgument',
    400,
  );
  await fails(
    s3().send(new PutBucketNotificationConfigurationCommand({ Bucket: 'bk-notify', NotificationConfiguration: { QueueConfigurations: [{ QueueArn: `${arn}-nope`, Events: ['s3:ObjectCreated:*'] }] } })),
    'InvalidArgument',
    400,
  );
  await s3().send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: 'bk-notify',
      NotificationConfiguration: {
        QueueConfigurations: [
          { Id: 'created', QueueArn: arn, Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'in/' }, { Name: 'suffix', Value: '.txt' }] } } },
          { Id: 'removed', QueueArn: arn, Events: ['s3:ObjectRemoved:*'] },
        ],
      },
    }),
  );
  const cfg = await s3().send(new GetBucketNotificationConfigurationCommand({ Bucket: 'bk-notify' }));
  assert.deepEqual(cfg.QueueConfigurations!.map((q) => [q.Id, q.Events]), [['created', ['s3:ObjectCreated:*']], ['removed', ['s3:ObjectRemoved:*']]]);
  const [test1] = await receiveN(QueueUrl!, 1);
  const t = JSON.parse(test1!.Body!);
  assert.equal(t.Event, 's3:TestEvent');
  assert.equal(t.Bucket, 'bk-notify');
  assert.equal(t.Service, 'Amazon S3');
  await s3().send(new PutObjectCommand({ Bucket: 'bk-notify', Key: 'out/skip.txt', Body: 'no' }));
  await s3().send(new PutObjectCommand({ Bucket: 'bk-notify', Key: 'in/skip.bin', Body: 'no' }));
  await s3().send(new PutObjectCommand({ Bucket: 'bk-notify', Key: 'in/a b.txt', Body: 'yes' }));
  await s3().send(new DeleteObjectCommand({ Bucket: 'bk-notify', Key: 'in/a b.txt' }));
  const msgs = await receiveN(QueueUrl!, 2);
  const recs = msgs.map((m) => JSON.parse(m.Body!).Records[0]).sort((a, b) => (a.s3.object.sequencer < b.s3.object.sequencer ? -1 : 1));
  assert.deepEqual(recs.map((r) => [r.eventName, r.s3.configurationId, r.s3.object.key]), [
    ['ObjectCreated:Put', 'created', 'in/a+b.txt'],
    ['ObjectRemoved:Delete', 'removed', 'in/a+b.txt'],
  ]);
  assert.equal(recs[0].s3.object.size, 3);
  assert.equal(recs[0].s3.object.eTag, md5('yes'));
  assert.equal((await receiveN(QueueUrl!, 1, 2000)).length, 0, 'filtered keys send nothing');
});

test('S3 notifications to SNS: an upload publishes the S3 event to the topic (Subject "Amazon S3 Notification"), which a queue receives in the SNS envelope', async () => {
  const sqs = sqsClient(server().url);
  const sns = snsClient(server().url);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 's3-via-sns' }));
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 's3-uploads' }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn }));
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-topic' }));
  await s3().send(new PutBucketNotificationConfigurationCommand({ Bucket: 'bk-topic', NotificationConfiguration: { TopicConfigurations: [{ Id: 'to-topic', TopicArn, Events: ['s3:ObjectCreated:*'] }] } }));
  await s3().send(new PutObjectCommand({ Bucket: 'bk-topic', Key: 'report.csv', Body: 'a,b' }));
  // Besides the record, the queue may first see the TestEvent S3 publishes when the configuration is put.
  const found = async (): Promise<Record<string, any>> => {
    for (let i = 0; i < 10; i++) {
      for (const m of await receiveN(QueueUrl!, 1, 5000)) {
        const env = JSON.parse(m.Body!);
        const inner = JSON.parse(env.Message);
        if (inner.Records) return { env, inner };
      }
    }
    assert.fail('no S3 record arrived through the topic');
  };
  const { env, inner } = await found();
  assert.equal(env.Type, 'Notification');
  assert.equal(env.TopicArn, TopicArn);
  assert.equal(env.Subject, 'Amazon S3 Notification');
  assert.equal(inner.Records[0].eventSource, 'aws:s3');
  assert.equal(inner.Records[0].eventName, 'ObjectCreated:Put');
  assert.equal(inner.Records[0].s3.configurationId, 'to-topic');
  assert.equal(inner.Records[0].s3.object.key, 'report.csv');
  sqs.destroy();
  sns.destroy();
});

test('S3 with EventBridge enabled: an upload puts an "Object Created" event from aws.s3 on the default bus, which a rule sends to a queue', async () => {
  const sqs = sqsClient(server().url);
  const eb = new EventBridgeClient({ endpoint: server().url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 's3-via-eventbridge' }));
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
  await eb.send(new PutRuleCommand({ Name: 's3-created', EventPattern: JSON.stringify({ source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: ['bk-eb'] } } }) }));
  await eb.send(new PutTargetsCommand({ Rule: 's3-created', Targets: [{ Id: 'q', Arn: queueArn }] }));
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-eb' }));
  await s3().send(new PutBucketNotificationConfigurationCommand({ Bucket: 'bk-eb', NotificationConfiguration: { EventBridgeConfiguration: {} } }));
  await s3().send(new PutObjectCommand({ Bucket: 'bk-eb', Key: 'photos/cat.jpg', Body: 'meow' }));
  const [m] = await receiveN(QueueUrl!, 1);
  assert.ok(m, 'the event reached the queue');
  const ev = JSON.parse(m.Body!);
  assert.equal(ev.source, 'aws.s3');
  assert.equal(ev['detail-type'], 'Object Created');
  assert.deepEqual(ev.resources, ['arn:aws:s3:::bk-eb']);
  assert.equal(ev.detail.bucket.name, 'bk-eb');
  assert.equal(ev.detail.object.key, 'photos/cat.jpg');
  assert.equal(ev.detail.object.size, 4);
  assert.equal(ev.detail.reason, 'PutObject');
  sqs.destroy();
  eb.destroy();
});

test('S3 notifications to Lambda: an upload invokes the function asynchronously with AWS’s S3 event record, field by field', async () => {
  const corpus = join(SHARED, 'corpus', 'lambda-events', 's3-event.json');
  const sample = existsSync(corpus) ? JSON.parse(readFileSync(corpus, 'utf8')).Records[0] : undefined;
  const lambda = lambdaClient(server().url);
  const sqs = sqsClient(server().url);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 's3-lambda-out' }));
  await createFunction(lambda, 's3-handler', { 'index.js': 'exports.handler = async (e) => e;' });
  await lambda.send(
    new PutFunctionEventInvokeConfigCommand({ FunctionName: 's3-handler', DestinationConfig: { OnSuccess: { Destination: 'arn:aws:sqs:us-east-1:000000000000:s3-lambda-out' } } }),
  );
  await s3().send(new CreateBucketCommand({ Bucket: 'bk-lambda' }));
  await s3().send(new PutBucketVersioningCommand({ Bucket: 'bk-lambda', VersioningConfiguration: { Status: 'Enabled' } }));
  await s3().send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: 'bk-lambda',
      NotificationConfiguration: { LambdaFunctionConfigurations: [{ Id: 'fn', LambdaFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:s3-handler', Events: ['s3:ObjectCreated:Put'] }] },
    }),
  );
  const put = await s3().send(new PutObjectCommand({ Bucket: 'bk-lambda', Key: 'Happy Face.jpg', Body: Buffer.alloc(1024, 7) }));
  const [m] = await receiveN(QueueUrl!, 1);
  assert.ok(m, 'the function ran');
  const rec = JSON.parse(m.Body!).requestPayload.Records[0];
  assert.equal(rec.eventVersion, '2.1');
  assert.equal(rec.eventSource, 'aws:s3');
  assert.equal(rec.awsRegion, 'us-east-1');
  assert.equal(rec.eventName, 'ObjectCreated:Put');
  assert.match(rec.eventTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(rec.requestParameters.sourceIPAddress, '127.0.0.1');
  assert.equal(rec.responseElements['x-amz-request-id'], put.$metadata.requestId);
  assert.equal(rec.s3.s3SchemaVersion, '1.0');
  assert.equal(rec.s3.configurationId, 'fn');
  assert.deepEqual(rec.s3.bucket, { name: 'bk-lambda', ownerIdentity: { principalId: '000000000000' }, arn: 'arn:aws:s3:::bk-lambda' });
  assert.equal(rec.s3.object.key, 'Happy+Face.jpg');
  assert.equal(rec.s3.object.size, 1024);
  assert.equal(rec.s3.object.eTag, put.ETag!.replace(/"/g, ''));
  assert.equal(rec.s3.object.versionId, put.VersionId);
  assert.match(rec.s3.object.sequencer, /^[0-9A-F]+$/);
  if (sample) {
    // Every field of AWS's sample, at every level, and no other.
    const shape = (v: unknown): unknown => (v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]).sort()) : typeof v);
    assert.deepEqual(shape(rec), shape(sample));
  }
  lambda.destroy();
  sqs.destroy();
});

test('S3 durability: an acknowledged PutObject survives kill -9 byte for byte, and its pending notification is delivered after the restart', async () => {
  const first = await startServer();
  try {
    const c = s3Client(first.url);
    const sqs = sqsClient(first.url);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'after-crash' }));
    await c.send(new CreateBucketCommand({ Bucket: 'bk-crash' }));
    await c.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: 'bk-crash',
        NotificationConfiguration: { QueueConfigurations: [{ QueueArn: 'arn:aws:sqs:us-east-1:000000000000:after-crash', Events: ['s3:ObjectCreated:*'] }] },
      }),
    );
    const body = randomBytes(3 * 1024 * 1024);
    await c.send(new PutObjectCommand({ Bucket: 'bk-crash', Key: 'kept', Body: body }));
    c.destroy();
    sqs.destroy();
    await first.stop('SIGKILL');
    const second = await startServer({ dataDir: first.dataDir });
    try {
      const c2 = s3Client(second.url);
      const got = await c2.send(new GetObjectCommand({ Bucket: 'bk-crash', Key: 'kept' }));
      assert.equal(md5(Buffer.from(await got.Body!.transformToByteArray())), md5(body));
      c2.destroy();
      const sqs2 = sqsClient(second.url);
      const seen: string[] = [];
      const end = Date.now() + 30_000;
      while (!seen.includes('ObjectCreated:Put') && Date.now() < end) {
        const r = await sqs2.send(new ReceiveMessageCommand({ QueueUrl: QueueUrl!.replace(first.url, second.url), WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
        for (const m of r.Messages ?? []) {
          const b = JSON.parse(m.Body!);
          seen.push(b.Event ?? b.Records[0].eventName);
        }
      }
      sqs2.destroy();
      assert.ok(seen.includes('ObjectCreated:Put'), `the record arrived (saw ${seen.join(', ')})`);
    } finally {
      await second.stop();
    }
  } finally {
    await removeServer(first);
  }
});
