// Policy documents at IAM's edge, through the policy module: a document text becomes a typed PolicyDocument in one
// place (refused with MalformedPolicyDocument in IAM's words), and decisions (a role's trust, the simulator) go
// through its evaluate().
import type { Caller } from '../../server/auth.js';
import { contextFor, evaluate, parsePolicy, PolicyError, type AuthzRequest, type Decision, type PolicyDocument, type PolicyKind, type PolicySet } from './policy/index.js';
import * as E from './errors.js';

/** Parses a policy document of the given kind, throwing MalformedPolicyDocument with IAM's message. */
export function parseDocument(text: string, kind: PolicyKind): PolicyDocument {
  try {
    return parsePolicy(text, kind);
  } catch (e) {
    if (e instanceof PolicyError) throw E.malformed(e.message);
    throw e;
  }
}

/** The decision on a request against a policy set, with the caller's own condition keys in the context. */
export function decide(req: Omit<AuthzRequest, 'context'> & { context?: AuthzRequest['context'] }, set: PolicySet): Decision {
  return evaluate({ ...req, context: contextFor(req.caller, req.context ?? {}) }, set);
}

/**
 * Whether a role's trust policy lets `who` sts:AssumeRole: a caller (with the policies that apply to it, since a
 * trust policy naming the account delegates to them) or a service principal (`lambda.amazonaws.com`).
 */
export function trustAllows(trust: PolicyDocument, roleArn: string, accountId: string, who: { caller: Caller; policies: Omit<PolicySet, 'resource'> } | { service: string }): boolean {
  const base = { action: 'sts:AssumeRole', resource: roleArn, resourceAccount: accountId };
  if ('service' in who) {
    // A service is no IAM principal: it is named by aws:PrincipalServiceName, in no account, with no policies of its own.
    const caller: Caller = { arn: who.service, accountId: '', userId: who.service, kind: 'federated-user' };
    return decide({ ...base, caller, context: { 'aws:PrincipalServiceName': who.service } }, { identity: [], resource: trust, resourceMustAllow: true }).effect === 'Allow';
  }
  return decide({ ...base, caller: who.caller }, { ...who.policies, resource: trust, resourceMustAllow: true }).effect === 'Allow';
}
