// IAM's tables and the shapes read from them: principals (users, groups, roles, instance profiles) by id, their
// inline policies, managed-policy attachments, group members, access keys, managed policies and STS sessions.
import { randomBytes } from 'node:crypto';
import type { Migration } from '../../store/store.js';
import type { Tag } from './form.js';

export const IAM_MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `
CREATE TABLE iam_principals (kind TEXT NOT NULL, name_key TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL, created REAL NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, name_key));
CREATE UNIQUE INDEX iam_principals_id ON iam_principals (id);
CREATE TABLE iam_inline (owner_id TEXT NOT NULL, name_key TEXT NOT NULL, name TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (owner_id, name_key));
CREATE TABLE iam_attached (owner_id TEXT NOT NULL, policy_arn TEXT NOT NULL, PRIMARY KEY (owner_id, policy_arn));
CREATE INDEX iam_attached_policy ON iam_attached (policy_arn);
CREATE TABLE iam_members (group_id TEXT NOT NULL, member_id TEXT NOT NULL, PRIMARY KEY (group_id, member_id));
CREATE INDEX iam_members_member ON iam_members (member_id);
CREATE TABLE iam_access_keys (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, secret TEXT NOT NULL, status TEXT NOT NULL, created REAL NOT NULL, last_used REAL, last_service TEXT, last_region TEXT);
CREATE INDEX iam_access_keys_user ON iam_access_keys (user_id);
CREATE TABLE iam_policies (arn TEXT PRIMARY KEY, name_key TEXT NOT NULL, id TEXT NOT NULL, created REAL NOT NULL, body TEXT NOT NULL);
CREATE TABLE iam_policy_versions (arn TEXT NOT NULL, version_id TEXT NOT NULL, document TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY (arn, version_id));
CREATE TABLE iam_sessions (id TEXT PRIMARY KEY, secret TEXT NOT NULL, token TEXT NOT NULL, expires REAL NOT NULL, caller TEXT NOT NULL);
CREATE INDEX iam_sessions_expires ON iam_sessions (expires);
`,
  },
];

export type Kind = 'user' | 'group' | 'role' | 'instance-profile';

/** A user, group, role or instance profile; `body` holds what only some kinds have. */
export interface Principal {
  kind: Kind;
  id: string;
  name: string;
  path: string;
  arn: string;
  created: number;
  tags: Tag[];
  description?: string;
  /** Roles: the trust policy as given (JSON text). */
  trust?: string;
  maxSessionDuration?: number;
  /** Users and roles: the permissions boundary's policy ARN. */
  boundary?: string;
  /** Roles: when it was last assumed, and where. */
  lastUsed?: { at: number; region: string };
}

export interface PrincipalRow { kind: Kind; name_key: string; name: string; id: string; path: string; created: number; body: string }

export interface AccessKeyRow { id: string; user_id: string; secret: string; status: 'Active' | 'Inactive'; created: number; last_used: number | null; last_service: string | null; last_region: string | null }

/** A customer managed policy (AWS managed ones come from aws-managed.ts and are never stored). */
export interface ManagedPolicy {
  arn: string;
  id: string;
  name: string;
  path: string;
  description?: string;
  created: number;
  updated: number;
  defaultVersion: string;
  /** The number the next CreatePolicyVersion takes (v1, v2, …: numbers are never reused). */
  nextVersion: number;
  tags: Tag[];
}

export interface PolicyVersion { versionId: string; document: string; created: number; isDefault: boolean }

const ARN_WORD: Record<Kind, string> = { user: 'user', group: 'group', role: 'role', 'instance-profile': 'instance-profile' };
export const ID_PREFIX: Record<Kind, string> = { user: 'AIDA', group: 'AGPA', role: 'AROA', 'instance-profile': 'AIPA' };

export const principalArn = (accountId: string, kind: Kind, path: string, name: string): string => `arn:aws:iam::${accountId}:${ARN_WORD[kind]}${path}${name}`;

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const b32 = (n: number): string => [...randomBytes(n)].map((b) => B32[b & 31]).join('');

/** AWS's unique ids: a 4-letter type prefix and 17 base32 characters (21 in all); access keys have 16 (20). */
export const newId = (prefix: string): string => prefix + b32(17);
export const newAccessKeyId = (prefix: 'AKIA' | 'ASIA'): string => prefix + b32(16);
export const newSecret = (): string => randomBytes(30).toString('base64');
export const newSessionToken = (): string => 'IQoJb3JpZ2luX2VjE' + randomBytes(180).toString('base64');

export function rowToPrincipal(accountId: string, r: PrincipalRow): Principal {
  const body = JSON.parse(r.body) as Omit<Principal, 'kind' | 'id' | 'name' | 'path' | 'arn' | 'created'>;
  return { ...body, kind: r.kind, id: r.id, name: r.name, path: r.path, created: r.created, arn: principalArn(accountId, r.kind, r.path, r.name) };
}

export function principalBody(p: Principal): string {
  const { kind: _k, id: _i, name: _n, path: _p, arn: _a, created: _c, ...body } = p;
  return JSON.stringify(body);
}
