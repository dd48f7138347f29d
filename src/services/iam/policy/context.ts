// The principal side of the request context: the global condition keys a Caller implies, and the principals it is.
//
// Source: "AWS global condition context keys" (reference_policies_condition-keys.html): aws:PrincipalArn is the
// role's ARN for an assumed-role session (not the session ARN), aws:PrincipalAccount the caller's account,
// aws:PrincipalType one of Account, User, FederatedUser, AssumedRole, Anonymous; aws:username only for IAM users;
// aws:userid the unique id (`AIDA…`, `AROA…:session`, the account id for root); aws:PrincipalTag/* from the session's
// tags (and the user's or role's tags, which the IAM service passes in `extras`).
import type { Caller } from '../../../server/auth.js';

/** The principal-derived keys of `caller`, with `extras` (aws:SourceIp, aws:CurrentTime, tags, …) added over them. */
export function contextFor(caller: Caller, extras: Readonly<Record<string, string | readonly string[]>> = {}): Record<string, string | readonly string[]> {
  const out: Record<string, string | readonly string[]> = {};
  out['aws:PrincipalAccount'] = caller.accountId;
  out['aws:userid'] = caller.userId;
  switch (caller.kind) {
    case 'root':
      out['aws:PrincipalType'] = 'Account';
      out['aws:PrincipalArn'] = caller.arn;
      break;
    case 'user': {
      out['aws:PrincipalType'] = 'User';
      out['aws:PrincipalArn'] = caller.arn;
      // The user's name without its path: arn:aws:iam::123:user/division/alice → alice.
      const name = caller.arn.slice(caller.arn.lastIndexOf('/') + 1);
      out['aws:username'] = name;
      break;
    }
    case 'assumed-role':
      out['aws:PrincipalType'] = 'AssumedRole';
      out['aws:PrincipalArn'] = caller.roleArn ?? caller.arn;
      break;
    case 'federated-user':
      out['aws:PrincipalType'] = 'FederatedUser';
      out['aws:PrincipalArn'] = caller.arn;
      break;
  }
  for (const [k, v] of Object.entries(caller.sessionTags ?? {})) out[`aws:PrincipalTag/${k}`] = v;
  for (const [k, v] of Object.entries(extras)) out[k] = v;
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
