// AWS's policy evaluation logic for one request: explicit deny wins, then the allows each case needs (same account, cross-account).
//
// Sources: "Policy evaluation logic" (reference_policies_evaluation-logic.html) and "Evaluating policies within a
// single account" (…_policy-eval-basics.html): an explicit Deny in any policy wins; in one account an Allow in an
// identity-based OR a resource-based policy suffices; a permissions boundary and session policies limit identity-based
// Allows (effective = identity ∩ boundary ∩ session). Resource-based policies that name the IAM user ARN or the
// role-session (or federated-user) ARN directly are NOT limited by an implicit deny in a boundary or session policy;
// those that name the role ARN are (reference_policies_evaluation-logic_policy-eval-basics.html, "The effect of
// resource-based policies…"; access_policies_boundaries.html). A resource policy naming the account (root) delegates
// to the account's identity-based policies. "Cross-account policy evaluation logic"
// (reference_policies_evaluation-logic-cross-account.html): the identity-based policy of the caller's account AND the
// resource-based policy of the resource's account must both allow. "AWS JSON policy elements: NotPrincipal": with Deny,
// a caller is spared only if its session, role and account ARNs are all listed.
// Not evaluated: SCPs, RCPs, VPC endpoint policies, ACLs (docs/iam-policies.md).
import { conditionHolds } from './conditions.js';
import { principalIdentities } from './principal.js';
import { actionMatches, normaliseContext, resourceMatches, type Context } from './match.js';
import type { AuthzRequest, Decision, PolicyDocument, PolicySet, PrincipalMatch, Statement } from './types.js';

/**
 * How a resource-policy statement's Principal matched the caller, which decides what its Allow is worth:
 * `direct` the user / session / federated-user ARN (not limited by boundary or session policies), `service` a service
 * principal or an identity provider (`Federated`), neither of which is in an account, `role` the role behind a session or `"*"` (limited), `account` the caller's account (delegates to
 * identity-based policies).
 */
type PrincipalHit = 'direct' | 'service' | 'role' | 'account';
const RANK: Record<PrincipalHit, number> = { account: 0, role: 1, service: 2, direct: 3 };

interface Found {
  deny?: Statement;
  allow?: Statement;
  hit?: PrincipalHit;
}

/** Decide `req` against the policies in `set`. Pure. */
export function evaluate(req: AuthzRequest, set: PolicySet): Decision {
  const ctx = normaliseContext(req.context);
  const identity = scan(set.identity, req, ctx, false);
  const resource = set.resource ? scan([set.resource], req, ctx, true, set.boundary !== undefined) : {};
  const boundary = set.boundary ? scan([set.boundary], req, ctx, false) : undefined;
  const sessions = set.session && set.session.length > 0 ? scan(set.session, req, ctx, false) : undefined;

  // 1. An explicit deny in any policy that applies ends the evaluation.
  if (identity.deny) return deny('ExplicitDeny', 'identity', identity.deny);
  if (resource.deny) return deny('ExplicitDeny', 'resource', resource.deny);
  if (boundary?.deny) return deny('ExplicitDeny', 'boundary', boundary.deny);
  if (sessions?.deny) return deny('ExplicitDeny', 'session', sessions.deny);

  const sameAccount = req.caller.accountId === req.resourceAccount;
  const root = req.caller.kind === 'root';
  // A service principal is not in an account; the resource policy alone grants it.
  if (resource.allow && resource.hit === 'service') return allow('resource', resource.allow);
  // A role's trust policy and a KMS key policy are gates: "Role trust policies and KMS key policies are exceptions to
  // this logic, because they must explicitly allow access for principals" (…_policy-eval-basics.html); an
  // identity-based Allow alone never passes one that does not name the caller or its account.
  const gate = set.resourceMustAllow === true || set.resource?.kind === 'trust';
  if (gate && !resource.allow) return { effect: 'ImplicitDeny', by: 'resource' };

  // Boundary and session policies limit what identity-based policies (and role-ARN grants) can allow; several session
  // policies (inline plus managed ARNs) together form one session policy, so any of them allowing is enough.
  const limiter: Decision['by'] | undefined = boundary && !boundary.allow ? 'boundary' : sessions && !sessions.allow ? 'session' : undefined;
  const identityAllows = root || identity.allow !== undefined;

  if (sameAccount) {
    // The account's root user has every permission in its account; only explicit denies (above) stop it.
    if (root) return { effect: 'Allow', by: 'identity' };
    if (resource.allow && resource.hit === 'direct') return allow('resource', resource.allow);
    if (resource.allow && resource.hit === 'role' && !limiter) return allow('resource', resource.allow);
    if (identity.allow && !limiter) return allow('identity', identity.allow);
    if (limiter && (identity.allow || (resource.allow && resource.hit === 'role'))) return { effect: 'ImplicitDeny', by: limiter };
    return { effect: 'ImplicitDeny', by: 'identity' };
  }

  // Cross-account: the caller's own account must allow (within boundary and session), and so must the resource's.
  if (!identityAllows) return { effect: 'ImplicitDeny', by: 'identity' };
  if (!root && limiter) return { effect: 'ImplicitDeny', by: limiter };
  if (!resource.allow) return { effect: 'ImplicitDeny', by: 'resource' };
  return allow('resource', resource.allow);
}

function deny(effect: 'ExplicitDeny', by: Decision['by'], st: Statement): Decision {
  return st.sid ? { effect, by, sid: st.sid } : { effect, by };
}

function allow(by: Decision['by'], st: Statement): Decision {
  return st.sid ? { effect: 'Allow', by, sid: st.sid } : { effect: 'Allow', by };
}

/** The first applicable Deny and the best applicable Allow over some policies of one kind. */
function scan(docs: readonly PolicyDocument[], req: AuthzRequest, ctx: Context, withPrincipal: boolean, bounded = false): Found {
  const found: Found = {};
  for (const doc of docs) {
    for (const st of doc.statements) {
      const hit = statementApplies(st, doc, req, ctx, withPrincipal, bounded);
      if (hit === false) continue;
      if (st.effect === 'Deny') {
        found.deny ??= st;
      } else if (!found.allow || (hit !== true && found.hit !== undefined && RANK[hit] > RANK[found.hit])) {
        found.allow = st;
        if (hit !== true) found.hit = hit;
      }
    }
  }
  return found;
}

/**
 * Does `st` apply to the request: action, resource, principal (for resource and trust policies) and conditions?
 * Answers false, true (no principal to check), or how the principal matched.
 */
function statementApplies(st: Statement, doc: PolicyDocument, req: AuthzRequest, ctx: Context, withPrincipal: boolean, bounded: boolean): PrincipalHit | boolean {
  if (st.action && !st.action.some((a) => actionMatches(a, req.action))) return false;
  if (st.notAction && st.notAction.some((a) => actionMatches(a, req.action))) return false;
  // Policy variables are substituted only under Version 2012-10-17; in 2008-10-17 `${…}` is literal text.
  const variables = doc.version === '2012-10-17';
  if (st.resource && !st.resource.some((r) => resourceMatches(r, req.resource, ctx, variables))) return false;
  if (st.notResource && st.notResource.some((r) => resourceMatches(r, req.resource, ctx, variables))) return false;
  let hit: PrincipalHit | true = true;
  if (withPrincipal) {
    if (st.principal) {
      const h = principalHit(st.principal, req, ctx);
      if (h === undefined) return false;
      hit = h;
    } else if (st.notPrincipal) {
      const ids = principalIdentities(req.caller);
      const listed = ids.map((id) => listedIn(st.notPrincipal!, id, req));
      // Deny: spared only when every identity is listed, and never when the caller has a permissions boundary
      // (access_policies_boundaries.html: "will always deny any IAM principal that has a permissions boundary
      // policy attached"). Allow (discouraged by AWS): granted only when none is listed.
      if (st.effect === 'Deny' ? !bounded && listed.every(Boolean) : listed.some(Boolean)) return false;
      hit = 'role';
    }
  }
  if (st.condition && !conditionHolds(st.condition, ctx, variables)) return false;
  return hit;
}

function principalHit(p: PrincipalMatch, req: AuthzRequest, ctx: Context): PrincipalHit | undefined {
  if (p === '*') return 'role';
  let best: PrincipalHit | undefined;
  const better = (h: PrincipalHit): void => {
    if (best === undefined || RANK[h] > RANK[best]) best = h;
  };
  const caller = req.caller;
  for (const v of p.AWS ?? []) {
    if (v === '*') better('role');
    else if (accountOf(v) !== undefined) {
      if (accountOf(v) === caller.accountId) better('account');
    } else if (v === caller.arn) better(caller.kind === 'root' ? 'account' : 'direct');
    else if (caller.kind === 'assumed-role' && caller.roleArn !== undefined && v === caller.roleArn) better('role');
  }
  // Services and identity providers are named by the caller of evaluate in the context (aws:PrincipalServiceName,
  // aws:FederatedProvider), since a Caller is always an IAM or STS principal.
  const service = ctx.get('aws:principalservicename') ?? [];
  for (const v of p.Service ?? []) if (service.includes(v) || v === caller.arn) better('service');
  const provider = ctx.get('aws:federatedprovider') ?? [];
  for (const v of p.Federated ?? []) if (provider.includes(v) || v === caller.arn) better('service');
  const canonical = ctx.get('aws:canonicaluser') ?? [];
  for (const v of p.CanonicalUser ?? []) if (canonical.includes(v)) better('direct');
  return best;
}

/** The account of an account principal: `123456789012` or `arn:aws:iam::123456789012:root`. */
function accountOf(v: string): string | undefined {
  if (/^\d{12}$/.test(v)) return v;
  const m = /^arn:[a-z-]+:iam::(\d{12}):root$/.exec(v);
  return m ? m[1] : undefined;
}

/** Is the principal `id` (one of the caller's identities) named in a NotPrincipal? */
function listedIn(p: PrincipalMatch, id: string, req: AuthzRequest): boolean {
  if (p === '*') return true;
  for (const v of p.AWS ?? []) {
    if (v === '*' || v === id) return true;
    const acct = accountOf(v);
    if (acct !== undefined && id === `arn:${id.split(':')[1] ?? 'aws'}:iam::${acct}:root`) return true;
  }
  return p.Service?.includes(req.caller.arn) ?? false;
}
