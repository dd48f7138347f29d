// IAM's account-wide reads: GetAccountAuthorizationDetails (every principal with its policies, and the managed
// policies in use with their versions).
import { encodeDoc, groupXml, policyXml, roleXml, userXml, type Ctx, type Op } from './shapes.js';
import { iso, list, page } from './form.js';
import type { Principal } from './model.js';

async function attachedXml(c: Ctx, p: Principal): Promise<{ PolicyName: string; PolicyArn: string }[]> {
  const out = [];
  for (const arn of await c.dir.attachedTo(p)) {
    const v = await c.policies.get(arn).catch(() => undefined);
    if (v) out.push({ PolicyName: v.name, PolicyArn: v.arn });
  }
  return out;
}

const inlineXml = async (c: Ctx, p: Principal) => (await c.dir.listInline(p)).map((r) => ({ PolicyName: r.name, PolicyDocument: encodeDoc(r.document) }));

export const ACCOUNT_OPS: Record<string, Op> = {
  async GetAccountAuthorizationDetails(c, f) {
    const filter = list(f, 'Filter');
    const want = (k: string): boolean => filter.length === 0 || filter.includes(k);
    type Entry = { key: string; kind: string; xml: Record<string, unknown> };
    const entries: Entry[] = [];
    if (want('User'))
      for (const u of await c.dir.list('user')) {
        const x = userXml(u, true);
        entries.push({ key: `1 ${u.name.toLowerCase()}`, kind: 'UserDetailList', xml: { ...x, UserPolicyList: await inlineXml(c, u), GroupList: (await c.dir.containers(u)).map((g) => g.name), AttachedManagedPolicies: await attachedXml(c, u) } });
      }
    if (want('Group'))
      for (const g of await c.dir.list('group')) entries.push({ key: `2 ${g.name.toLowerCase()}`, kind: 'GroupDetailList', xml: { ...groupXml(g), GroupPolicyList: await inlineXml(c, g), AttachedManagedPolicies: await attachedXml(c, g) } });
    if (want('Role'))
      for (const r of await c.dir.list('role')) {
        const profiles = [];
        for (const p of await c.dir.containers(r)) profiles.push({ Path: p.path, InstanceProfileName: p.name, InstanceProfileId: p.id, Arn: p.arn, CreateDate: iso(p.created), Roles: (await c.dir.members(p)).map((m) => roleXml(m)) });
        entries.push({ key: `3 ${r.name.toLowerCase()}`, kind: 'RoleDetailList', xml: { ...roleXml(r, true), InstanceProfileList: profiles, RolePolicyList: await inlineXml(c, r), AttachedManagedPolicies: await attachedXml(c, r) } });
      }
    const local = want('LocalManagedPolicy');
    const aws = want('AWSManagedPolicy');
    if (local || aws)
      for (const p of await c.policies.list({ scope: 'All', onlyAttached: false, pathPrefix: '/' })) {
        if (p.aws ? !aws || p.attachmentCount === 0 : !local) continue;
        const versions = (await c.policies.versions(p.arn)).map((v) => ({ Document: encodeDoc(v.document), VersionId: v.versionId, IsDefaultVersion: v.isDefault, CreateDate: iso(v.created) }));
        entries.push({ key: `4 ${p.name.toLowerCase()} ${p.arn}`, kind: 'Policies', xml: { ...policyXml(p, false), Description: p.description, PolicyVersionList: versions } });
      }
    const pg = page(f, entries, (e) => e.key);
    const of = (k: string) => pg.items.filter((e) => e.kind === k).map((e) => e.xml);
    return { UserDetailList: of('UserDetailList'), GroupDetailList: of('GroupDetailList'), RoleDetailList: of('RoleDetailList'), Policies: of('Policies'), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },
};
