// The caller in policy terms: the global condition keys a Caller implies, the principals it is, and how a denial names it.
//
// Source: "AWS global condition context keys" (reference_policies_condition-keys.html): aws:PrincipalArn is the
// role's ARN for an assumed-role session (not the session ARN), aws:PrincipalAccount the caller's account,
// aws:PrincipalType one of Account, User, FederatedUser, AssumedRole, Anonymous; aws:username only for IAM users;
// aws:userid the unique id (`AIDA…`, `AROA…:session`, the account id for root); aws:PrincipalTag/* from the session's
// tags (and the user's or role's tags, which the IAM service passes in `extras`).
import type { Caller } from '../../../server/auth.js';
import type { AuthzRequest, Decision } from './types.js';

/**
 * The request context for `caller`: `extras` (aws:SourceIp, aws:CurrentTime, request and resource tags, the user's or
 * role's own tags as aws:PrincipalTag/*, service keys) under the principal-derived keys, which extras cannot override
 * (keys compare case-insensitively), and the session's tags, which win over the role's tags of the same key as AWS
 * documents for session tags (id_session-tags.html).
 */
export function contextFor(caller: Caller, extras: Readonly<Record<string, string | readonly string[]>> = {}): Record<string, string | readonly string[]> {
  const own: Record<string, string> = {};
  own['aws:PrincipalAccount'] = caller.accountId;
  own['aws:userid'] = caller.userId;
  switch (caller.kind) {
    case 'root':
      own['aws:PrincipalType'] = 'Account';
      own['aws:PrincipalArn'] = caller.arn;
      break;
    case 'user':
      own['aws:PrincipalType'] = 'User';
      own['aws:PrincipalArn'] = caller.arn;
      // The user's name without its path: arn:aws:iam::123:user/division/alice → alice.
      own['aws:username'] = caller.arn.slice(caller.arn.lastIndexOf('/') + 1);
      break;
    case 'assumed-role':
      own['aws:PrincipalType'] = 'AssumedRole';
      own['aws:PrincipalArn'] = caller.roleArn ?? caller.arn;
      break;
    case 'federated-user':
      own['aws:PrincipalType'] = 'FederatedUser';
      own['aws:PrincipalArn'] = caller.arn;
      break;
  }
  for (const [k, v] of Object.entries(caller.sessionTags ?? {})) own[`aws:PrincipalTag/${k}`] = v;
  // aws:username is absent for anyone but a user; an extra must not supply it either.
  const reserved = new Set([...Object.keys(own), 'aws:PrincipalAccount', 'aws:userid', 'aws:PrincipalType', 'aws:PrincipalArn', 'aws:username'].map((k) => k.toLowerCase()));
  const out: Record<string, string | readonly string[]> = {};
  for (const [k, v] of Object.entries(extras)) if (!reserved.has(k.toLowerCase())) out[k] = v;
  for (const [k, v] of Object.entries(own)) out[k] = v;
  return out;
}

/**
 * Every principal the caller counts as, most specific first: a session is also its role and its account, a user is
 * also its account. A Deny with NotPrincipal spares the caller only when all of them are listed, which is why AWS's
 * NotPrincipal page tells you to list the account and role ARNs along with the session ARN.
 */
export function principalIdentities(caller: Caller): string[] {
  const root = `arn:${partition(caller.arn)}:iam::${caller.accountId}:root`;
  if (caller.kind === 'root') return [root];
  const out = [caller.arn];
  if (caller.kind === 'assumed-role' && caller.roleArn) out.push(caller.roleArn);
  out.push(root);
  return out;
}

export function partition(arn: string): string {
  const p = arn.split(':')[1];
  return p && p.length > 0 ? p : 'aws';
}

// ---- The AccessDenied message
//
// Source: "Access denied error messages" (IAM User Guide, troubleshoot_access-denied.html): "User: <arn> is not
// authorized to perform: <action> on resource: <resource> because no identity-based policy allows the <action>
// action", "… with an explicit deny in an identity-based policy", "… in a resource-based policy", "… because no
// resource-based policy allows …", "… because no permissions boundary allows …", "… because no session policy
// allows …"; the documented examples leave out "on resource: …" when the action has no resource
// ("is not authorized to perform: codecommit:ListRepositories because no identity-based policy allows …").

const EXPLICIT: Record<Decision['by'], string> = {
  identity: 'with an explicit deny in an identity-based policy',
  resource: 'with an explicit deny in a resource-based policy',
  boundary: 'with an explicit deny in a permissions boundary',
  session: 'with an explicit deny in a session policy',
  none: 'with an explicit deny',
};

const IMPLICIT: Record<Decision['by'], string> = {
  identity: 'because no identity-based policy allows',
  resource: 'because no resource-based policy allows',
  boundary: 'because no permissions boundary allows',
  session: 'because no session policy allows',
  none: 'because no identity-based policy allows',
};

/** The message AWS answers with for a denied request (for an allowed one, the same sentence without a reason). */
export function denialMessage(req: AuthzRequest, decision: Decision): string {
  const head = `User: ${req.caller.arn} is not authorized to perform: ${req.action}${req.resource && req.resource !== '*' ? ` on resource: ${req.resource}` : ''}`;
  if (decision.effect === 'ExplicitDeny') return `${head} ${EXPLICIT[decision.by]}`;
  if (decision.effect === 'ImplicitDeny') return `${head} ${IMPLICIT[decision.by]} the ${req.action} action`;
  return head;
}
