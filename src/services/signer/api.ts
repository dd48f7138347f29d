// AWS Signer's rest-json handlers: signing platforms and profiles (signerRoutes), signing jobs and signature
// revocation (jobRoutes, which need S3).
import { z } from 'zod';
import { uuid } from '../../lib/ids.js';
import type { ApiRequest, RestRoute } from '../../server/types.js';
import type { S3Api } from '../s3/index.js';
import { platformNotFound, platformUnsupported, validation } from './errors.js';
import { expiryOf, LAMBDA_PLATFORM, type JobRecord, type ProfileRow, type SignerData, type ValidityType } from './profiles.js';
import { signZip } from './signature.js';

const PROFILE_NAME = /^[a-zA-Z0-9_]{2,}$/;
const secs = (ms: number): number => Math.floor(ms / 1000);

/** AWS's "1 validation error detected" message for one member. */
const invalidMember = (member: string, value: unknown, constraint: string) =>
  validation(`1 validation error detected: Value ${value === undefined || value === null ? 'null' : `'${String(value)}'`} at '${member}' failed to satisfy constraint: ${constraint}`);

function body<T extends z.ZodType>(schema: T, req: ApiRequest): z.infer<T> {
  let v: unknown = {};
  if (req.body.length > 0) {
    try {
      v = JSON.parse(req.body.toString('utf8'));
    } catch {
      throw validation('Request body is not valid JSON.');
    }
  }
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  let at: unknown = v;
  for (const k of issue?.path ?? []) at = at && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined;
  throw invalidMember(path || 'body', at === undefined || typeof at === 'object' ? undefined : at, at === undefined ? 'Member must not be null' : (issue?.message ?? 'invalid'));
}

function profileName(req: ApiRequest): string {
  const name = req.params['profileName'] ?? '';
  if (name.length < 2 || name.length > 64) throw invalidMember('profileName', name, 'Member must have length between 2 and 64');
  if (!PROFILE_NAME.test(name)) throw invalidMember('profileName', name, 'Member must satisfy regular expression pattern: ^[a-zA-Z0-9_]{2,}');
  return name;
}

function maxResults(req: ApiRequest): number {
  const raw = req.query.get('maxResults');
  if (raw === null) return 25;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 25) throw invalidMember('maxResults', raw, 'Member must have value between 1 and 25');
  return n;
}

/** A page of `items` after the opaque token; the token of the next page when more remain. */
function page<T>(items: T[], req: ApiRequest, max: number): { items: T[]; next?: string } {
  const token = req.query.get('nextToken');
  let start = 0;
  if (token !== null) {
    start = Number(Buffer.from(token, 'base64').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw validation('The nextToken is invalid.');
  }
  const out = items.slice(start, start + max);
  return { items: out, ...(start + max < items.length ? { next: Buffer.from(String(start + max)).toString('base64') } : {}) };
}

const ValidityShape = z.object({ value: z.number().int(), type: z.enum(['DAYS', 'MONTHS', 'YEARS']) });

const PutProfileShape = z.object({
  platformId: z.string(),
  signatureValidityPeriod: ValidityShape.partial().optional(),
  signingMaterial: z.object({ certificateArn: z.string() }).optional(),
  overrides: z.unknown().optional(),
  signingParameters: z.record(z.string(), z.string()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
});

/** AWS Signer's limits on a signature's validity: 1 day to 135 months. */
function validity(v: { value?: number; type?: ValidityType } | undefined): { value: number; type: ValidityType } {
  const value = v?.value ?? 135;
  const type = v?.type ?? 'MONTHS';
  const months = type === 'DAYS' ? value / 30 : type === 'MONTHS' ? value : value * 12;
  if (value < 1 || months > 135) throw validation('Signature validity period must be between 1 day and 135 months.');
  return { value, type };
}

function profileOut(data: SignerData, p: ProfileRow): Record<string, unknown> {
  const arn = data.profileArn(p.region, p.name);
  return {
    profileName: p.name,
    profileVersion: p.version,
    profileVersionArn: `${arn}/${p.version}`,
    platformId: p.platform_id,
    platformDisplayName: LAMBDA_PLATFORM.displayName,
    signatureValidityPeriod: { value: p.validity_value, type: p.validity_type },
    status: p.status,
    arn,
    tags: JSON.parse(p.tags) as Record<string, string>,
  };
}

/** Platforms and profiles: what Lambda's deploy-time checks read too. */
export function signerRoutes(data: SignerData): RestRoute[] {
  const tagged = { name: 'resourceArn', prefix: 'arn:aws:signer:' };
  const tagsOf = (p: ProfileRow): Record<string, string> => JSON.parse(p.tags) as Record<string, string>;
  return [
    {
      op: 'ListTagsForResource',
      method: 'GET',
      path: '/tags/{resourceArn}',
      paramPrefix: tagged,
      handler: async (req) => ({ body: { tags: tagsOf(await data.profileByArn(req.region, req.params['resourceArn'] ?? '')) } }),
    },
    {
      op: 'TagResource',
      method: 'POST',
      path: '/tags/{resourceArn}',
      paramPrefix: tagged,
      handler: async (req) => {
        const p = await data.profileByArn(req.region, req.params['resourceArn'] ?? '');
        const input = body(z.object({ tags: z.record(z.string(), z.string()) }), req);
        const tags = { ...tagsOf(p), ...input.tags };
        if (Object.keys(tags).length > 200) throw validation('A resource can have at most 200 tags.');
        await data.setTags(p, tags);
        return { status: 200, body: {} };
      },
    },
    {
      op: 'UntagResource',
      method: 'DELETE',
      path: '/tags/{resourceArn}',
      paramPrefix: tagged,
      handler: async (req) => {
        const p = await data.profileByArn(req.region, req.params['resourceArn'] ?? '');
        const keys = req.query.getAll('tagKeys');
        if (keys.length === 0) throw invalidMember('tagKeys', undefined, 'Member must not be null');
        const tags = tagsOf(p);
        for (const k of keys) delete tags[k];
        await data.setTags(p, tags);
        return { status: 200, body: {} };
      },
    },
    {
      op: 'ListSigningPlatforms',
      method: 'GET',
      path: '/signing-platforms',
      handler: async (req) => {
        const matches = (k: 'category' | 'partner' | 'target') => req.query.get(k) === null || req.query.get(k) === LAMBDA_PLATFORM[k];
        return { body: { platforms: matches('category') && matches('partner') && matches('target') ? [LAMBDA_PLATFORM] : [] } };
      },
    },
    {
      op: 'GetSigningPlatform',
      method: 'GET',
      path: '/signing-platforms/{platformId}',
      handler: async (req) => {
        if (req.params['platformId'] !== LAMBDA_PLATFORM.platformId) throw platformNotFound(req.params['platformId'] ?? '');
        return { body: LAMBDA_PLATFORM };
      },
    },
    {
      op: 'PutSigningProfile',
      method: 'PUT',
      path: '/signing-profiles/{profileName}',
      handler: async (req) => {
        const name = profileName(req);
        const input = body(PutProfileShape, req);
        if (input.platformId !== LAMBDA_PLATFORM.platformId) throw platformUnsupported(input.platformId);
        const p = await data.put(req.region, { name, platformId: input.platformId, validity: validity(input.signatureValidityPeriod), tags: input.tags ?? {} });
        const arn = data.profileArn(req.region, name);
        return { body: { arn, profileVersion: p.version, profileVersionArn: `${arn}/${p.version}` } };
      },
    },
    {
      op: 'GetSigningProfile',
      method: 'GET',
      path: '/signing-profiles/{profileName}',
      handler: async (req) => {
        const p = await data.requireProfile(req.region, profileName(req));
        return { body: { ...profileOut(data, p), ...(p.revocation ? { revocationRecord: JSON.parse(p.revocation) as unknown } : {}) } };
      },
    },
    {
      op: 'ListSigningProfiles',
      method: 'GET',
      path: '/signing-profiles',
      handler: async (req) => {
        const statuses = req.query.getAll('statuses');
        const wanted = statuses.length > 0 ? statuses : ['Active', ...(req.query.get('includeCanceled') === 'true' ? ['Canceled'] : [])];
        const platform = req.query.get('platformId');
        const all = (await data.profiles(req.region)).filter((p) => wanted.includes(p.status) && (platform === null || p.platform_id === platform));
        const { items, next } = page(all, req, maxResults(req));
        return { body: { profiles: items.map((p) => profileOut(data, p)), ...(next ? { nextToken: next } : {}) } };
      },
    },
    {
      op: 'CancelSigningProfile',
      method: 'DELETE',
      path: '/signing-profiles/{profileName}',
      handler: async (req) => {
        await data.cancel(req.region, profileName(req));
        return { status: 200 };
      },
    },
    {
      op: 'RevokeSigningProfile',
      method: 'PUT',
      path: '/signing-profiles/{profileName}/revoke',
      handler: async (req) => {
        const name = profileName(req);
        const input = body(z.object({ profileVersion: z.string(), reason: z.string(), effectiveTime: z.union([z.number(), z.string()]) }), req);
        if (input.reason.length < 1 || input.reason.length > 500) throw invalidMember('reason', input.reason, 'Member must have length between 1 and 500');
        const effective = typeof input.effectiveTime === 'number' ? input.effectiveTime * 1000 : Date.parse(input.effectiveTime);
        if (!Number.isFinite(effective)) throw invalidMember('effectiveTime', input.effectiveTime, 'Member must be a timestamp');
        await data.revokeProfile(req.region, name, input.profileVersion, effective, req.caller.arn);
        return { status: 200 };
      },
    },
  ];
}

const StartJobShape = z.object({
  source: z.object({ s3: z.object({ bucketName: z.string(), key: z.string(), version: z.string() }) }),
  destination: z.object({ s3: z.object({ bucketName: z.string(), prefix: z.string().optional() }) }),
  profileName: z.string(),
  clientRequestToken: z.string(),
  profileOwner: z.string().optional(),
});

function jobOut(j: JobRecord): Record<string, unknown> {
  const { destination: _d, ...rest } = j;
  return rest;
}

/**
 * Signing jobs: the source object (a version, as AWS requires) is read from S3, signed with the profile's current
 * version, and written to `<prefix><jobId>.zip` in the destination bucket. The job runs within the request, so it is
 * Succeeded (or Failed, with the reason) by the time StartSigningJob answers.
 */
export function jobRoutes(data: SignerData, s3: S3Api): RestRoute[] {
  return [
    {
      op: 'StartSigningJob',
      method: 'POST',
      path: '/signing-jobs',
      handler: async (req) => {
        const input = body(StartJobShape, req);
        const same = await data.jobByToken(req.region, input.clientRequestToken);
        if (same) return { body: { jobId: same.jobId, jobOwner: same.jobOwner } };
        const key = await data.signingKey(req.region, input.profileName);
        const jobId = uuid();
        const now = data.now();
        const job: JobRecord = {
          jobId,
          source: input.source,
          destination: input.destination,
          platformId: key.profile.platform_id,
          platformDisplayName: LAMBDA_PLATFORM.displayName,
          profileName: key.profile.name,
          profileVersion: key.profile.version,
          createdAt: secs(now),
          requestedBy: req.caller.arn,
          status: 'InProgress',
          jobOwner: data.accountId,
          jobInvoker: req.caller.accountId,
        };
        try {
          const src = await s3.readObject(input.source.s3.bucketName, input.source.s3.key, input.source.s3.version);
          const expiresAt = expiryOf(now, key.profile.validity_value, key.profile.validity_type);
          const signed = signZip(src.body, { profileVersionArn: key.versionArn, jobArn: data.jobArn(req.region, jobId), signedAt: now, expiresAt }, key.privateKeyDer);
          if (!signed) throw new Error('The source object is not a zip archive.');
          const destKey = `${input.destination.s3.prefix ?? ''}${jobId}.zip`;
          await s3.writeObject(input.destination.s3.bucketName, destKey, signed, 'application/zip');
          Object.assign(job, { status: 'Succeeded', completedAt: secs(data.now()), signatureExpiresAt: secs(expiresAt), signedObject: { s3: { bucketName: input.destination.s3.bucketName, key: destKey } } });
        } catch (e) {
          Object.assign(job, { status: 'Failed', completedAt: secs(data.now()), statusReason: e instanceof Error ? e.message : String(e) });
        }
        await data.saveJob(req.region, input.clientRequestToken, job);
        return { body: { jobId, jobOwner: job.jobOwner } };
      },
    },
    {
      op: 'DescribeSigningJob',
      method: 'GET',
      path: '/signing-jobs/{jobId}',
      handler: async (req) => ({ body: jobOut(await data.requireJob(req.region, req.params['jobId'] ?? '')) }),
    },
    {
      op: 'ListSigningJobs',
      method: 'GET',
      path: '/signing-jobs',
      handler: async (req) => {
        const status = req.query.get('status');
        const revoked = req.query.get('isRevoked');
        const all = (await data.jobs(req.region)).filter(
          (j) => (status === null || j.status === status) && (revoked === null || (revoked === 'true') === (j.revocationRecord !== undefined)),
        );
        const { items, next } = page(all, req, maxResults(req));
        return {
          body: {
            jobs: items.map((j) => ({
              jobId: j.jobId, source: j.source, signedObject: j.signedObject, createdAt: j.createdAt, status: j.status, isRevoked: j.revocationRecord !== undefined,
              profileName: j.profileName, profileVersion: j.profileVersion, platformId: j.platformId, platformDisplayName: j.platformDisplayName,
              signatureExpiresAt: j.signatureExpiresAt, jobOwner: j.jobOwner, jobInvoker: j.jobInvoker,
            })),
            ...(next ? { nextToken: next } : {}),
          },
        };
      },
    },
    {
      op: 'RevokeSignature',
      method: 'PUT',
      path: '/signing-jobs/{jobId}/revoke',
      handler: async (req) => {
        const input = body(z.object({ reason: z.string(), jobOwner: z.string().optional() }), req);
        if (input.reason.length < 1 || input.reason.length > 500) throw invalidMember('reason', input.reason, 'Member must have length between 1 and 500');
        await data.revokeJob(req.region, req.params['jobId'] ?? '', input.reason, req.caller.arn);
        return { status: 200 };
      },
    },
  ];
}
