// Bucket operations: create, delete, list, head, location, versioning, tagging, policy, CORS (and its preflight),
// notification configuration.
import type { S3Ctx } from './context.js';
import { send, sendXml, type S3Request } from './door.js';
import {
  corsForbidden,
  illegalLocationConstraint,
  invalidArgument,
  invalidLocationConstraint,
  malformedPolicy,
  malformedXml,
  noSuchBucket,
  noSuchBucketPolicy,
  noSuchCorsConfiguration,
  noSuchTagSet,
} from './errors.js';
import { isoDate, validateBucketName } from './http-rules.js';
import { esc, NS, str, type XmlNode } from './xml.js';
import { corsHeaders, corsXml, matchRule, parseCors } from './cors.js';
import { notificationXml, parseNotification } from './notify-config.js';
import { parseTagSet, tagSetXml } from './api-objects.js';
import { testEvent } from './notify.js';
import { uuid } from '../../lib/ids.js';
import { AwsError } from '../../lib/errors.js';
import type { SqsApi } from '../sqs/index.js';

export function owner(ctx: S3Ctx): XmlNode {
  return [
    ['ID', ctx.accountId],
    ['DisplayName', 'selfless'],
  ];
}

export async function createBucket(ctx: S3Ctx, r: S3Request): Promise<void> {
  const name = r.bucket!;
  validateBucketName(name);
  const doc = await r.xml(false);
  let loc: string | undefined;
  if (doc) {
    if (doc.root !== 'CreateBucketConfiguration') throw malformedXml();
    loc = str(doc.value['LocationConstraint']) || undefined;
  }
  if (loc === 'us-east-1') throw invalidLocationConstraint();
  if (r.region !== 'us-east-1') {
    if (loc === undefined) throw illegalLocationConstraint('unspecified');
    if (loc !== r.region) throw illegalLocationConstraint(loc);
  }
  const region = loc ?? 'us-east-1';
  await ctx.data.createBucket(name, region);
  await send(r, 200, { location: `/${name}` });
}

export async function deleteBucket(ctx: S3Ctx, r: S3Request): Promise<void> {
  await ctx.data.deleteBucket(r.bucket!);
  await send(r, 204, {});
}

export async function listBuckets(ctx: S3Ctx, r: S3Request): Promise<void> {
  const prefix = r.query.get('prefix') ?? '';
  const region = r.query.get('bucket-region');
  const all = (await ctx.data.listBuckets()).filter((b) => b.name.startsWith(prefix) && (region === null || b.region === region));
  const max = Number(r.query.get('max-buckets') ?? 10000);
  const token = r.query.get('continuation-token');
  const from = token ? all.filter((b) => b.name > token) : all;
  const page = from.slice(0, max);
  const node: [string, XmlNode | string | undefined][] = [
    ['Owner', owner(ctx)],
    ['Buckets', page.map((b): [string, XmlNode] => ['Bucket', [['Name', b.name], ['CreationDate', isoDate(b.createdAt)], ['BucketRegion', b.region]]])],
  ];
  if (from.length > page.length) node.push(['ContinuationToken', page[page.length - 1]!.name]);
  if (r.query.get('prefix') !== null) node.push(['Prefix', prefix]);
  await sendXml(r, 'ListAllMyBucketsResult', node);
}

export async function headBucket(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  await send(r, 200, { 'x-amz-bucket-region': b.region, 'x-amz-access-point-alias': 'false' });
}

export async function getLocation(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  const v = b.region === 'us-east-1' ? '' : esc(b.region);
  await send(r, 200, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${NS}">${v}</LocationConstraint>`);
}

export async function versioning(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  if (r.method === 'GET') return sendXml(r, 'VersioningConfiguration', b.versioning ? [['Status', b.versioning]] : []);
  const doc = await r.xml();
  if (doc?.root !== 'VersioningConfiguration') throw malformedXml();
  const status = str(doc.value['Status']);
  if (status !== 'Enabled' && status !== 'Suspended') throw malformedXml();
  await ctx.data.setVersioning(b.name, status);
  await send(r, 200, {});
}

export async function bucketTagging(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  if (r.method === 'GET') {
    if (!b.config.tags) throw noSuchTagSet(b.name);
    return sendXml(r, 'Tagging', tagSetXml(Object.fromEntries(b.config.tags.map((t) => [t.Key, t.Value]))));
  }
  if (r.method === 'DELETE') {
    r.req.resume();
    await ctx.data.updateConfig(b.name, (c) => ({ ...c, tags: undefined }));
    return send(r, 204, {});
  }
  const doc = await r.xml();
  if (doc?.root !== 'Tagging') throw malformedXml();
  const tags = parseTagSet(doc.value, 50);
  await ctx.data.updateConfig(b.name, (c) => ({ ...c, tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
  await send(r, 204, {});
}

export async function bucketPolicy(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  if (r.method === 'GET') {
    if (!b.config.policy) throw noSuchBucketPolicy(b.name);
    return send(r, 200, { 'content-type': 'application/json' }, b.config.policy);
  }
  if (r.method === 'DELETE') {
    r.req.resume();
    await ctx.data.updateConfig(b.name, (c) => ({ ...c, policy: undefined }));
    return send(r, 204, {});
  }
  const text = (await r.body(20 * 1024 + 1)).toString('utf8');
  if (text.length > 20 * 1024) throw new AwsError('PolicyTooLarge', 'Policy exceeds the maximum allowed document size.', { status: 400 });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !text.trimStart().startsWith('{')) throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  const st = (doc as Record<string, unknown>)['Statement'];
  if (st === undefined) throw malformedPolicy('Missing required field Statement');
  await ctx.data.updateConfig(b.name, (c) => ({ ...c, policy: text }));
  await send(r, 204, {});
}

export async function bucketCors(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  if (r.method === 'GET') {
    if (!b.config.cors) throw noSuchCorsConfiguration(b.name);
    return sendXml(r, 'CORSConfiguration', corsXml(b.config.cors));
  }
  if (r.method === 'DELETE') {
    r.req.resume();
    await ctx.data.updateConfig(b.name, (c) => ({ ...c, cors: undefined }));
    return send(r, 204, {});
  }
  const doc = await r.xml();
  if (doc?.root !== 'CORSConfiguration') throw malformedXml();
  const rules = parseCors(doc.value);
  await ctx.data.updateConfig(b.name, (c) => ({ ...c, cors: rules }));
  await send(r, 200, {});
}

/** A browser's preflight: answered from the bucket's CORS rules, 403 when none allows it. */
export async function preflight(ctx: S3Ctx, r: S3Request): Promise<void> {
  r.req.resume();
  const b = await ctx.data.bucket(r.bucket!);
  const origin = r.header('origin');
  const method = r.header('access-control-request-method');
  if (origin === undefined || method === undefined) {
    throw new AwsError('BadRequest', 'Insufficient information. Origin request header needed.', { status: 400 });
  }
  const headers = (r.header('access-control-request-headers') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  if (!b.config.cors) throw Object.assign(corsForbidden(), { message: 'CORSResponse: CORS is not enabled for this bucket.' });
  const rule = matchRule(b.config.cors, origin, method, headers);
  if (!rule) throw corsForbidden();
  await send(r, 200, corsHeaders(rule, origin, method, headers));
}

export async function notification(ctx: S3Ctx, r: S3Request, queues: SqsApi): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  if (r.method === 'GET') return sendXml(r, 'NotificationConfiguration', notificationXml(b.config.notification));
  const doc = await r.xml(false);
  if (doc && doc.root !== 'NotificationConfiguration') throw malformedXml();
  const cfg = parseNotification(doc?.value ?? {}, () => uuid().replace(/-/g, '').slice(0, 16));
  // x-amz-skip-destination-validation: true skips the checks of queues and functions (and the test messages).
  const skip = (r.header('x-amz-skip-destination-validation') ?? '').toLowerCase() === 'true';
  // S3 checks a Lambda destination's policy when the configuration is put, not when it delivers (the function's
  // policy must allow s3.amazonaws.com with this bucket's ARN); ctx.mayInvoke only logs in dev mode.
  const failed: { arn: string; why: string }[] = [];
  if (!skip) {
    for (const d of cfg.destinations) {
      if (d.kind === 'sqs' && !queues.queue(d.arn)) failed.push({ arn: d.arn, why: 'The destination queue does not exist' });
      if (d.kind === 'lambda' && !ctx.mayInvoke(r.region, d.arn, b.name)) failed.push({ arn: d.arn, why: `Not authorized to invoke function [${d.arn}]` });
    }
  }
  if (failed.length > 0) {
    const fields: Record<string, unknown> = {};
    failed.forEach((d, i) => {
      fields[`ArgumentName${i + 1}`] = d.arn;
      fields[`ArgumentValue${i + 1}`] = d.why;
    });
    throw new AwsError('InvalidArgument', 'Unable to validate the following destination configurations', { status: 400, fields });
  }
  // S3 sends a test message to each queue when a configuration is put, before it answers.
  for (const d of cfg.destinations.filter((x) => x.kind === 'sqs' && !skip)) {
    await queues.send(d.arn, { body: testEvent(b.name, r.requestId, r.hostId, ctx.clock.now()) });
  }
  await ctx.data.updateConfig(b.name, (c) => ({ ...c, notification: cfg.destinations.length || cfg.eventBridge ? cfg : undefined }));
  await send(r, 200, {});
}

export function maxKeys(r: S3Request, name = 'max-keys', cap = 1000): number {
  const v = r.query.get(name);
  if (v === null) return cap;
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, v);
  const n = Number(v);
  if (n < 0) throw invalidArgument(`Argument ${name === 'max-keys' ? 'maxKeys' : name} must be an integer between 0 and 2147483647`, name, v);
  return Math.min(n, cap);
}

export function requireBucket(r: S3Request): string {
  if (!r.bucket) throw noSuchBucket('');
  return r.bucket;
}
