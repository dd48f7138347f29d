// IAM's account-wide reads: GetAccountAuthorizationDetails (every principal with its policies, and the managed
// policies in use with their versions), and the policy simulator (SimulatePrincipalPolicy, SimulateCustomPolicy).
import type { CallerPolicies } from './access.js';
import { decide, parseDocument } from './documents.js';
import * as E from './errors.js';
import { encodeDoc, groupXml, policyXml, roleXml, userXml, type Ctx, type Op } from './shapes.js';
import { ARN, iso, list, need, page, type Form } from './form.js';
import type { Principal } from './model.js';

const DECISION = { Allow: 'allowed', ExplicitDeny: 'explicitDeny', ImplicitDeny: 'implicitDeny' } as const;

/** Every action on every resource of the form against a policy set, as EvaluationResults. */
function simulate(c: Ctx, f: Form, set: CallerPolicies, callerArn: string) {
  const actions = list(f, 'ActionNames');
  if (actions.length === 0) throw E.constraint(null, 'actionNames', 'Member must not be null');
  const resources = list(f, 'ResourceArns');
  const results = [];
  for (const action of actions)
    for (const resource of resources.length ? resources : ['*']) {
      const caller = { arn: callerArn, accountId: c.accountId, userId: c.accountId, kind: 'user' as const };
      const d = decide({ caller, action, resource, resourceAccount: c.accountId }, set);
      results.push({
        EvalActionName: action, EvalResourceName: resource, EvalDecision: DECISION[d.effect], MatchedStatements: [], MissingContextValues: [],
        ...(set.boundary ? { PermissionsBoundaryDecisionDetail: { AllowedByPermissionsBoundary: d.by !== 'boundary' } } : {}),
      });
    }
  const pg = page(f, results, (r) => `${r.EvalActionName} ${r.EvalResourceName}`);
  return { EvaluationResults: pg.items, IsTruncated: pg.IsTruncated, Marker: pg.Marker };
}

const inputs = (f: Form, prefix: string) => list(f, prefix).map((t) => parseDocument(t, 'identity'));

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
  async SimulatePrincipalPolicy(c, f) {
    const arn = need(f, 'PolicySourceArn', ARN);
    const m = /^arn:aws:iam::\d{12}:(user|group|role)\/(?:.*\/)?([^/]+)$/.exec(arn);
    if (!m) throw E.invalidInput(`Invalid ARN: ${arn}`);
    const p = await c.access.byArn(arn);
    if (!p) throw E.notFound(m[1] as 'user' | 'group' | 'role', m[2]!);
    const own = await c.access.ofPrincipal(p);
    const boundaries = inputs(f, 'PermissionsBoundaryPolicyInputList');
    const set: CallerPolicies = { identity: [...own.identity, ...inputs(f, 'PolicyInputList')], ...(boundaries[0] ?? own.boundary ? { boundary: boundaries[0] ?? own.boundary! } : {}) };
    return simulate(c, f, set, arn);
  },
  async SimulateCustomPolicy(c, f) {
    const identity = inputs(f, 'PolicyInputList');
    if (identity.length === 0) throw E.constraint(null, 'policyInputList', 'Member must not be null');
    const boundaries = inputs(f, 'PermissionsBoundaryPolicyInputList');
    return simulate(c, f, { identity, ...(boundaries[0] ? { boundary: boundaries[0] } : {}) }, c.caller.arn);
  },
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
