// What IAM's handlers share: the handler type and its context, the caller, and the shapes of users, groups, roles
// and policies in answers (documents URL-encoded, as IAM returns them).
import type { Caller } from '../../server/auth.js';
import type { Access } from './access.js';
import type { Credentials } from './credentials.js';
import type { Directory } from './directory.js';
import { iso, type Form } from './form.js';
import type { Principal } from './model.js';
import type { Policies, PolicyView } from './policies.js';

export const XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const VERSION = '2010-05-08';

export interface Ctx {
  dir: Directory;
  policies: Policies;
  creds: Credentials;
  access: Access;
  accountId: string;
  region: string;
  caller: Caller;
}

/** A handler: the form in, the Result element's content out (undefined: an answer without a Result). */
export type Op = (c: Ctx, f: Form) => Promise<Record<string, unknown> | undefined>;

export const rootCaller = (accountId: string): Caller => ({ arn: `arn:aws:iam::${accountId}:root`, accountId, userId: accountId, kind: 'root' });

/** Documents come back URL-encoded, as IAM returns them (RFC 3986, as its encoder leaves `*`, `(`, `)` etc.). */
export const encodeDoc = (doc: string): string => encodeURIComponent(doc);

const boundaryXml = (p: Principal) => (p.boundary ? { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: p.boundary } : undefined);
const tagsXml = (p: { tags: { Key: string; Value: string }[] }) => (p.tags.length ? p.tags : undefined);

export function userXml(u: Principal, full = false): Record<string, unknown> {
  return { Path: u.path, UserName: u.name, UserId: u.id, Arn: u.arn, CreateDate: iso(u.created), ...(full ? { PermissionsBoundary: boundaryXml(u), Tags: tagsXml(u) } : {}) };
}

export const groupXml = (g: Principal): Record<string, unknown> => ({ Path: g.path, GroupName: g.name, GroupId: g.id, Arn: g.arn, CreateDate: iso(g.created) });

export function roleXml(r: Principal, full = false): Record<string, unknown> {
  return {
    Path: r.path, RoleName: r.name, RoleId: r.id, Arn: r.arn, CreateDate: iso(r.created), AssumeRolePolicyDocument: encodeDoc(r.trust ?? ''),
    Description: r.description, MaxSessionDuration: r.maxSessionDuration ?? 3600,
    ...(full ? { PermissionsBoundary: boundaryXml(r), Tags: tagsXml(r), RoleLastUsed: r.lastUsed ? { LastUsedDate: iso(r.lastUsed.at), Region: r.lastUsed.region } : {} } : {}),
  };
}

export function policyXml(p: PolicyView, full = true): Record<string, unknown> {
  return {
    PolicyName: p.name, PolicyId: p.id, Arn: p.arn, Path: p.path, DefaultVersionId: p.defaultVersion, AttachmentCount: p.attachmentCount, PermissionsBoundaryUsageCount: 0,
    IsAttachable: true, ...(full ? { Description: p.description } : {}), CreateDate: iso(p.created), UpdateDate: iso(p.updated), ...(full ? { Tags: tagsXml(p) } : {}),
  };
}

