// IAM's users, groups and access keys on the wire: create/get/list/update/delete, tags, group membership, keys.
import * as E from './errors.js';
import { ACCESS_KEY, iso, need, opt, page, PATH, PATH_PREFIX, NAME, tags, USER_NAME, type Form } from './form.js';
import { newId, principalArn, type Principal } from './model.js';
import { groupXml, userXml, type Ctx, type Op } from './shapes.js';
import { taggedPrincipalOps } from './api-principal.js';

/** The user a user-scoped call is about: the named one, else the caller (a user's own keys, GetUser without a name). */
async function userOf(c: Ctx, f: Form): Promise<Principal | undefined> {
  const name = opt(f, 'UserName', { ...USER_NAME, max: 128 });
  if (name !== undefined) return c.dir.get('user', name);
  if (c.caller.kind === 'user') return c.dir.get('user', c.caller.arn.slice(c.caller.arn.lastIndexOf('/') + 1));
  if (c.caller.kind === 'root') return undefined;
  throw E.validation('Must specify userName when calling with non-User credentials');
}

const keyMeta = (u: Principal, k: { id: string; status: string; created: number }) => ({ UserName: u.name, AccessKeyId: k.id, Status: k.status, CreateDate: iso(k.created) });

export const USER_OPS: Record<string, Op> = {
  async CreateUser(c, f) {
    const name = need(f, 'UserName', USER_NAME);
    const path = opt(f, 'Path', PATH) ?? '/';
    const boundary = opt(f, 'PermissionsBoundary');
    if (boundary !== undefined) await c.policies.attachable(boundary);
    const u: Principal = { kind: 'user', id: newId('AIDA'), name, path, arn: principalArn(c.accountId, 'user', path, name), created: c.dir.now(), tags: tags(f), ...(boundary ? { boundary } : {}) };
    await c.dir.create(u);
    return { User: userXml(u, true) };
  },
  async GetUser(c, f) {
    const u = await userOf(c, f);
    if (!u) return { User: { UserId: c.accountId, Arn: `arn:aws:iam::${c.accountId}:root`, CreateDate: iso(0) } };
    return { User: userXml(u, true) };
  },
  async ListUsers(c, f) {
    const users = await c.dir.list('user', opt(f, 'PathPrefix', PATH_PREFIX));
    const p = page(f, users, (u) => u.name.toLowerCase());
    return { Users: p.items.map((u) => userXml(u)), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
  async UpdateUser(c, f) {
    const u = await c.dir.get('user', need(f, 'UserName', { ...USER_NAME, max: 128 }));
    const old = u.name;
    const newName = opt(f, 'NewUserName', USER_NAME);
    const newPath = opt(f, 'NewPath', PATH);
    if (newName !== undefined) u.name = newName;
    if (newPath !== undefined) u.path = newPath;
    await c.dir.save(u, old);
    return undefined;
  },
  async DeleteUser(c, f) {
    await c.dir.delete(await c.dir.get('user', need(f, 'UserName', { ...USER_NAME, max: 128 })));
    return undefined;
  },
  ...taggedPrincipalOps('user', 'User', USER_NAME),

  // Groups
  async CreateGroup(c, f) {
    const name = need(f, 'GroupName', NAME);
    const path = opt(f, 'Path', PATH) ?? '/';
    const g: Principal = { kind: 'group', id: newId('AGPA'), name, path, arn: principalArn(c.accountId, 'group', path, name), created: c.dir.now(), tags: [] };
    await c.dir.create(g);
    return { Group: groupXml(g) };
  },
  async GetGroup(c, f) {
    const g = await c.dir.get('group', need(f, 'GroupName', NAME));
    const p = page(f, await c.dir.members(g), (u) => u.name.toLowerCase());
    return { Group: groupXml(g), Users: p.items.map((u) => userXml(u)), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
  async ListGroups(c, f) {
    const p = page(f, await c.dir.list('group', opt(f, 'PathPrefix', PATH_PREFIX)), (g) => g.name.toLowerCase());
    return { Groups: p.items.map(groupXml), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
  async UpdateGroup(c, f) {
    const g = await c.dir.get('group', need(f, 'GroupName', NAME));
    const old = g.name;
    g.name = opt(f, 'NewGroupName', NAME) ?? g.name;
    g.path = opt(f, 'NewPath', PATH) ?? g.path;
    await c.dir.save(g, old);
    return undefined;
  },
  async DeleteGroup(c, f) {
    await c.dir.delete(await c.dir.get('group', need(f, 'GroupName', NAME)));
    return undefined;
  },
  async AddUserToGroup(c, f) {
    const g = await c.dir.get('group', need(f, 'GroupName', NAME));
    await c.dir.addMember(g, await c.dir.get('user', need(f, 'UserName', USER_NAME)));
    return undefined;
  },
  async RemoveUserFromGroup(c, f) {
    const g = await c.dir.get('group', need(f, 'GroupName', NAME));
    await c.dir.removeMember(g, await c.dir.get('user', need(f, 'UserName', USER_NAME)));
    return undefined;
  },
  async ListGroupsForUser(c, f) {
    const u = await c.dir.get('user', need(f, 'UserName', { ...USER_NAME, max: 128 }));
    const p = page(f, await c.dir.containers(u), (g) => g.name.toLowerCase());
    return { Groups: p.items.map(groupXml), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },

  // Access keys
  async CreateAccessKey(c, f) {
    const u = await userOf(c, f);
    if (!u) throw E.limitExceeded('Cannot exceed quota for AccessKeysPerUser: 2');
    const k = await c.dir.createKey(u);
    return { AccessKey: { ...keyMeta(u, k), SecretAccessKey: k.secret } };
  },
  async ListAccessKeys(c, f) {
    const u = await userOf(c, f);
    if (!u) return { AccessKeyMetadata: [], IsTruncated: false };
    const p = page(f, await c.dir.keysOf(u.id), (k) => k.id);
    return { AccessKeyMetadata: p.items.map((k) => keyMeta(u, k)), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
  async UpdateAccessKey(c, f) {
    const id = need(f, 'AccessKeyId', ACCESS_KEY);
    const status = need(f, 'Status');
    if (status !== 'Active' && status !== 'Inactive') throw E.constraint(status, 'status', 'Member must satisfy enum value set: [Active, Inactive]');
    const u = await userOf(c, f);
    if (!u) throw E.noSuchEntity(`The Access Key with id ${id} cannot be found.`);
    await c.dir.setKeyStatus(await c.dir.keyOf(u, id), status);
    return undefined;
  },
  async DeleteAccessKey(c, f) {
    const id = need(f, 'AccessKeyId', ACCESS_KEY);
    const u = await userOf(c, f);
    if (!u) throw E.noSuchEntity(`The Access Key with id ${id} cannot be found.`);
    await c.dir.deleteKey(await c.dir.keyOf(u, id));
    return undefined;
  },
  async GetAccessKeyLastUsed(c, f) {
    const id = need(f, 'AccessKeyId', ACCESS_KEY);
    const k = await c.dir.key(id);
    const u = k ? await c.dir.byId(k.user_id) : undefined;
    if (!k || !u) throw E.noSuchEntity(`The Access Key with id ${id} cannot be found.`);
    return {
      UserName: u.name,
      AccessKeyLastUsed: k.last_used === null ? { ServiceName: 'N/A', Region: 'N/A' } : { LastUsedDate: iso(Number(k.last_used)), ServiceName: k.last_service ?? 'N/A', Region: k.last_region ?? 'N/A' },
    };
  },
};

/** TagKeys.member.N, lower-cased (tag keys are case-insensitive in IAM). */
