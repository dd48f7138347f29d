// IAM's policies on the wire: inline policies of users, groups and roles, managed policies, their attachments
// and versions, and their tags.
import { awsManaged } from './aws-managed.js';
import { parseDocument } from './documents.js';
import * as E from './errors.js';
import { ARN, bool, DESCRIPTION, DOCUMENT, iso, mergeTags, NAME, need, opt, page, PATH_PREFIX, ROLE_NAME, tags, USER_NAME, VERSION_ID, withoutTags, type Form, type Rule } from './form.js';
import type { Kind, Principal } from './model.js';
import { encodeDoc, policyXml, type Ctx, type Op } from './shapes.js';

type Owner = 'User' | 'Group' | 'Role';
const OWNERS: { word: Owner; kind: Kind; rule: Rule }[] = [
  { word: 'User', kind: 'user', rule: USER_NAME },
  { word: 'Group', kind: 'group', rule: NAME },
  { word: 'Role', kind: 'role', rule: ROLE_NAME },
];

const POLICY_PATH: Rule = { min: 1, max: 512, pattern: /^((\/[A-Za-z0-9.,+@=_-]+)*)\/$/, spelled: '((/[A-Za-z0-9\\.,\\+@=_-]+)*)/' };

const identityDoc = (f: Form, field = 'PolicyDocument'): string => {
  const text = need(f, field, DOCUMENT);
  parseDocument(text, 'identity');
  return text;
};

/** IAM counts a policy's size without its whitespace. */
const size = (doc: string): number => doc.replace(/\s/g, '').length;
const INLINE_MAX: Record<Owner, number> = { User: 2048, Group: 5120, Role: 10240 };

function managedDoc(f: Form): string {
  const d = identityDoc(f);
  if (size(d) > 6144) throw E.limitExceeded('Cannot exceed quota for PolicySize: 6144');
  return d;
}

const policyArnOf = (f: Form): string => need(f, 'PolicyArn', ARN);

function inlineOps(o: (typeof OWNERS)[number]): Record<string, Op> {
  const owner = (c: Ctx, f: Form): Promise<Principal> => c.dir.get(o.kind, need(f, `${o.word}Name`, o.rule));
  return {
    async [`Put${o.word}Policy`](c, f) {
      const p = await owner(c, f);
      const name = need(f, 'PolicyName', NAME);
      const d = identityDoc(f);
      if (size(d) > INLINE_MAX[o.word]) throw E.limitExceeded(`Maximum policy size of ${INLINE_MAX[o.word]} bytes exceeded for ${o.kind} ${p.name}`);
      await c.dir.putInline(p, name, d);
      return undefined;
    },
    async [`Get${o.word}Policy`](c, f) {
      const p = await owner(c, f);
      const r = await c.dir.getInline(p, need(f, 'PolicyName', NAME));
      return { [`${o.word}Name`]: p.name, PolicyName: r.name, PolicyDocument: encodeDoc(r.document) };
    },
    async [`List${o.word}Policies`](c, f) {
      const pg = page(f, await c.dir.listInline(await owner(c, f)), (r) => r.name.toLowerCase());
      return { PolicyNames: pg.items.map((r) => r.name), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
    },
    async [`Delete${o.word}Policy`](c, f) {
      await c.dir.deleteInline(await owner(c, f), need(f, 'PolicyName', NAME));
      return undefined;
    },
    async [`Attach${o.word}Policy`](c, f) {
      const p = await owner(c, f);
      const arn = policyArnOf(f);
      await c.policies.attachable(arn);
      await c.dir.attach(p, arn);
      return undefined;
    },
    async [`Detach${o.word}Policy`](c, f) {
      const p = await owner(c, f);
      await c.dir.detach(p, policyArnOf(f));
      return undefined;
    },
    async [`ListAttached${o.word}Policies`](c, f) {
      const p = await owner(c, f);
      const prefix = opt(f, 'PathPrefix', PATH_PREFIX) ?? '/';
      const attached = [];
      for (const arn of await c.dir.attachedTo(p)) {
        const v = await c.policies.get(arn).catch(() => undefined);
        if (v && v.path.startsWith(prefix)) attached.push({ PolicyName: v.name, PolicyArn: v.arn });
      }
      const pg = page(f, attached, (a) => a.PolicyName.toLowerCase());
      return { AttachedPolicies: pg.items, IsTruncated: pg.IsTruncated, Marker: pg.Marker };
    },
  };
}

const versionXml = (v: { versionId: string; document: string; created: number; isDefault: boolean }, withDoc: boolean) => ({
  ...(withDoc ? { Document: encodeDoc(v.document) } : {}), VersionId: v.versionId, IsDefaultVersion: v.isDefault, CreateDate: iso(v.created),
});

export const POLICY_OPS: Record<string, Op> = {
  ...Object.assign({}, ...OWNERS.map(inlineOps)),
  async CreatePolicy(c, f) {
    const name = need(f, 'PolicyName', NAME);
    const path = opt(f, 'Path', POLICY_PATH) ?? '/';
    const description = opt(f, 'Description', DESCRIPTION);
    const v = await c.policies.create({ name, path, document: managedDoc(f), tags: tags(f), ...(description !== undefined ? { description } : {}) });
    return { Policy: policyXml(v) };
  },
  async GetPolicy(c, f) {
    return { Policy: policyXml(await c.policies.get(policyArnOf(f))) };
  },
  async ListPolicies(c, f) {
    const scope = opt(f, 'Scope') ?? 'All';
    if (scope !== 'All' && scope !== 'AWS' && scope !== 'Local') throw E.constraint(scope, 'scope', 'Member must satisfy enum value set: [All, AWS, Local]');
    const all = await c.policies.list({ scope, onlyAttached: bool(f, 'OnlyAttached') ?? false, pathPrefix: opt(f, 'PathPrefix', PATH_PREFIX) ?? '/' });
    const pg = page(f, all, (p) => `${p.name.toLowerCase()} ${p.arn}`);
    return { Policies: pg.items.map((p) => policyXml(p, false)), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },
  async DeletePolicy(c, f) {
    await c.policies.delete(policyArnOf(f));
    return undefined;
  },
  async ListEntitiesForPolicy(c, f) {
    const arn = policyArnOf(f);
    await c.policies.get(arn);
    const filter = opt(f, 'EntityFilter');
    const prefix = opt(f, 'PathPrefix', PATH_PREFIX) ?? '/';
    const on = (await c.dir.attachmentsOf(arn)).filter((p) => p.path.startsWith(prefix));
    const want = (k: Kind, w: string): boolean => (filter === undefined || filter === w) && on.some((p) => p.kind === k);
    return {
      PolicyGroups: want('group', 'Group') ? on.filter((p) => p.kind === 'group').map((p) => ({ GroupName: p.name, GroupId: p.id })) : [],
      PolicyUsers: want('user', 'User') ? on.filter((p) => p.kind === 'user').map((p) => ({ UserName: p.name, UserId: p.id })) : [],
      PolicyRoles: want('role', 'Role') ? on.filter((p) => p.kind === 'role').map((p) => ({ RoleName: p.name, RoleId: p.id })) : [],
      IsTruncated: false,
    };
  },
  async CreatePolicyVersion(c, f) {
    const arn = policyArnOf(f);
    const v = await c.policies.createVersion(arn, managedDoc(f), bool(f, 'SetAsDefault') ?? false);
    return { PolicyVersion: versionXml(v, false) };
  },
  async GetPolicyVersion(c, f) {
    const v = await c.policies.version(policyArnOf(f), need(f, 'VersionId', VERSION_ID));
    return { PolicyVersion: versionXml(v, true) };
  },
  async ListPolicyVersions(c, f) {
    const vs = await c.policies.versions(policyArnOf(f));
    const pg = page(f, vs, (v) => String(1e9 - Number(v.versionId.slice(1))).padStart(10, '0'));
    return { Versions: pg.items.map((v) => versionXml(v, false)), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },
  async DeletePolicyVersion(c, f) {
    await c.policies.deleteVersion(policyArnOf(f), need(f, 'VersionId', VERSION_ID));
    return undefined;
  },
  async SetDefaultPolicyVersion(c, f) {
    await c.policies.setDefault(policyArnOf(f), need(f, 'VersionId', VERSION_ID));
    return undefined;
  },
  async TagPolicy(c, f) {
    const arn = policyArnOf(f);
    const v = await c.policies.get(arn);
    if (awsManaged(arn)) throw E.invalidInput(`ARN ${arn} is not valid.`);
    await c.policies.tag(arn, mergeTags(v.tags, tags(f)));
    return undefined;
  },
  async UntagPolicy(c, f) {
    const arn = policyArnOf(f);
    const v = await c.policies.get(arn);
    await c.policies.tag(arn, withoutTags(v.tags, f));
    return undefined;
  },
  async ListPolicyTags(c, f) {
    const v = await c.policies.get(policyArnOf(f));
    const pg = page(f, v.tags, (t) => t.Key.toLowerCase());
    return { Tags: pg.items, IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },
};
