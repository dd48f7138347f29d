// IAM's roles and instance profiles on the wire: trust policies, session duration, boundaries, tags, profiles.
import * as E from './errors.js';
import { DESCRIPTION, DOCUMENT, int, NAME, need, opt, page, PATH, PATH_PREFIX, ROLE_NAME, tags, iso } from './form.js';
import { parseDocument } from './documents.js';
import { newId, principalArn, type Principal } from './model.js';
import { roleXml, type Op } from './shapes.js';
import { taggedPrincipalOps } from './api-principal.js';

const profileXml = (p: Principal, roles: Principal[]) => ({ Path: p.path, InstanceProfileName: p.name, InstanceProfileId: p.id, Arn: p.arn, CreateDate: iso(p.created), Roles: roles.map((r) => roleXml(r)), Tags: p.tags.length ? p.tags : undefined });

const trustOf = (text: string): string => {
  parseDocument(text, 'trust');
  if (text.replace(/\s/g, '').length > 2048) throw E.limitExceeded('Cannot exceed quota for ACLSizePerRole: 2048');
  return text;
};

export const ROLE_OPS: Record<string, Op> = {
  async CreateRole(c, f) {
    const name = need(f, 'RoleName', ROLE_NAME);
    const path = opt(f, 'Path', PATH) ?? '/';
    const trust = trustOf(need(f, 'AssumeRolePolicyDocument', DOCUMENT));
    const description = opt(f, 'Description', DESCRIPTION);
    const max = int(f, 'MaxSessionDuration', 3600, 43200);
    const boundary = opt(f, 'PermissionsBoundary');
    if (boundary !== undefined) await c.policies.attachable(boundary);
    const r: Principal = {
      kind: 'role', id: newId('AROA'), name, path, arn: principalArn(c.accountId, 'role', path, name), created: c.dir.now(), tags: tags(f), trust, maxSessionDuration: max ?? 3600,
      ...(description !== undefined ? { description } : {}), ...(boundary ? { boundary } : {}),
    };
    await c.dir.create(r);
    return { Role: roleXml(r, true) };
  },
  async GetRole(c, f) {
    return { Role: roleXml(await c.dir.get('role', need(f, 'RoleName', ROLE_NAME)), true) };
  },
  async ListRoles(c, f) {
    const p = page(f, await c.dir.list('role', opt(f, 'PathPrefix', PATH_PREFIX)), (r) => r.name.toLowerCase());
    return { Roles: p.items.map((r) => roleXml(r)), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
  async UpdateRole(c, f) {
    const r = await c.dir.get('role', need(f, 'RoleName', ROLE_NAME));
    const description = opt(f, 'Description', DESCRIPTION);
    const max = int(f, 'MaxSessionDuration', 3600, 43200);
    if (description !== undefined) r.description = description;
    if (max !== undefined) r.maxSessionDuration = max;
    await c.dir.save(r);
    return {};
  },
  async UpdateRoleDescription(c, f) {
    const r = await c.dir.get('role', need(f, 'RoleName', ROLE_NAME));
    r.description = need(f, 'Description', DESCRIPTION);
    await c.dir.save(r);
    return { Role: roleXml(r, true) };
  },
  async UpdateAssumeRolePolicy(c, f) {
    const r = await c.dir.get('role', need(f, 'RoleName', ROLE_NAME));
    r.trust = trustOf(need(f, 'PolicyDocument', DOCUMENT));
    await c.dir.save(r);
    return undefined;
  },
  async DeleteRole(c, f) {
    await c.dir.delete(await c.dir.get('role', need(f, 'RoleName', ROLE_NAME)));
    return undefined;
  },
  ...taggedPrincipalOps('role', 'Role', ROLE_NAME),

  // Instance profiles
  async CreateInstanceProfile(c, f) {
    const name = need(f, 'InstanceProfileName', NAME);
    const path = opt(f, 'Path', PATH) ?? '/';
    const p: Principal = { kind: 'instance-profile', id: newId('AIPA'), name, path, arn: principalArn(c.accountId, 'instance-profile', path, name), created: c.dir.now(), tags: tags(f) };
    await c.dir.create(p);
    return { InstanceProfile: profileXml(p, []) };
  },
  async GetInstanceProfile(c, f) {
    const p = await c.dir.get('instance-profile', need(f, 'InstanceProfileName', NAME));
    return { InstanceProfile: profileXml(p, await c.dir.members(p)) };
  },
  async ListInstanceProfiles(c, f) {
    const p = page(f, await c.dir.list('instance-profile', opt(f, 'PathPrefix', PATH_PREFIX)), (x) => x.name.toLowerCase());
    const items = [];
    for (const x of p.items) items.push(profileXml(x, await c.dir.members(x)));
    return { InstanceProfiles: items, IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
  async ListInstanceProfilesForRole(c, f) {
    const r = await c.dir.get('role', need(f, 'RoleName', ROLE_NAME));
    const p = page(f, await c.dir.containers(r), (x) => x.name.toLowerCase());
    const items = [];
    for (const x of p.items) items.push(profileXml(x, await c.dir.members(x)));
    return { InstanceProfiles: items, IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
  async DeleteInstanceProfile(c, f) {
    await c.dir.delete(await c.dir.get('instance-profile', need(f, 'InstanceProfileName', NAME)));
    return undefined;
  },
  async AddRoleToInstanceProfile(c, f) {
    const p = await c.dir.get('instance-profile', need(f, 'InstanceProfileName', NAME));
    const r = await c.dir.get('role', need(f, 'RoleName', ROLE_NAME));
    if ((await c.dir.members(p)).some((m) => m.id === r.id)) throw E.alreadyExists(`Role ${r.name} already exists in instance profile ${p.name}.`);
    await c.dir.addMember(p, r);
    return undefined;
  },
  async RemoveRoleFromInstanceProfile(c, f) {
    const p = await c.dir.get('instance-profile', need(f, 'InstanceProfileName', NAME));
    await c.dir.removeMember(p, await c.dir.get('role', need(f, 'RoleName', ROLE_NAME)));
    return undefined;
  },
};
