// Policy documents at IAM's edge: the one place a document text becomes a typed PolicyDocument (refused in IAM's
// words), and the trust check AssumeRole and execution roles use. Both stand in for the policy module's
// parsePolicy/evaluate until it is filled in; switching over changes only this file.
import type { Caller } from '../../server/auth.js';
import type { AuthzRequest, Decision, PolicyDocument, PolicyKind, PolicySet, PrincipalMatch, Statement } from './policy/index.js';
import * as E from './errors.js';

type Json = Record<string, unknown>;

/** A string-or-list element (Action, Resource, a principal type) as a list. */
const strings = (v: unknown): string[] | undefined => {
  if (v === undefined) return undefined;
  const a = Array.isArray(v) ? v : [v];
  if (!a.every((x) => typeof x === 'string')) throw E.malformed('Syntax errors in policy.');
  return a as string[];
};

function principalOf(v: unknown): PrincipalMatch | undefined {
  if (v === undefined) return undefined;
  if (v === '*') return '*';
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw E.malformed('Syntax errors in policy.');
  const out: Record<string, readonly string[]> = {};
  for (const [k, x] of Object.entries(v as Json)) out[k] = strings(x)!;
  return out;
}

function conditionOf(v: unknown): Statement['condition'] {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw E.malformed('Syntax errors in policy.');
  const out: Record<string, Record<string, readonly string[]>> = {};
  for (const [op, m] of Object.entries(v as Json)) {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw E.malformed('Syntax errors in policy.');
    out[op] = {};
    for (const [k, x] of Object.entries(m as Json)) out[op]![k] = (Array.isArray(x) ? x : [x]).map(String);
  }
  return out;
}

/**
 * Parses a policy document of the given kind, throwing MalformedPolicyDocument with IAM's message. A minimal check
 * of the grammar; the policy module's parsePolicy replaces the body of this function once it lands.
 */
export function parseDocument(text: string, kind: PolicyKind): PolicyDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw E.malformed('This policy contains invalid Json');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw E.malformed('This policy contains invalid Json');
  const doc = raw as Json;
  const version = doc['Version'] ?? '2008-10-17';
  if (version !== '2012-10-17' && version !== '2008-10-17') throw E.malformed('The policy failed legacy parsing');
  const st = doc['Statement'];
  if (st === undefined) throw E.malformed('Syntax errors in policy.');
  const list = Array.isArray(st) ? st : [st];
  const statements: Statement[] = list.map((s) => {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw E.malformed('Syntax errors in policy.');
    const x = s as Json;
    const effect = x['Effect'];
    if (effect !== 'Allow' && effect !== 'Deny') throw E.malformed('Syntax errors in policy.');
    if (x['Action'] === undefined && x['NotAction'] === undefined) throw E.malformed('Policy statement must contain actions.');
    const hasPrincipal = x['Principal'] !== undefined || x['NotPrincipal'] !== undefined;
    const hasResource = x['Resource'] !== undefined || x['NotResource'] !== undefined;
    if (kind === 'identity' && hasPrincipal) throw E.malformed('Policy document should not specify a principal.');
    if (kind === 'identity' && !hasResource) throw E.malformed('Policy statement must contain resources.');
    if (kind === 'trust' && !hasPrincipal) throw E.malformed('Missing required field Principal');
    if (kind === 'trust' && hasResource) throw E.malformed('Has prohibited field Resource');
    const out: Statement = {
      ...(typeof x['Sid'] === 'string' ? { sid: x['Sid'] } : {}),
      effect,
      principal: principalOf(x['Principal']),
      notPrincipal: principalOf(x['NotPrincipal']),
      action: strings(x['Action']),
      notAction: strings(x['NotAction']),
      resource: strings(x['Resource']),
      notResource: strings(x['NotResource']),
      condition: conditionOf(x['Condition']),
    };
    return out;
  });
  return { version, ...(typeof doc['Id'] === 'string' ? { id: doc['Id'] } : {}), statements };
}

const glob = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(value);

const actionMatches = (s: Statement, action: string): boolean =>
  s.action ? s.action.some((a) => glob(a, action)) : !(s.notAction ?? []).some((a) => glob(a, action));

/** Whether a statement's principal names who is asking: an AWS principal (caller ARN, role ARN, account) or a service. */
function principalMatches(p: PrincipalMatch | undefined, who: { aws?: string[]; service?: string }): boolean {
  if (p === undefined) return false;
  if (p === '*') return true;
  if (who.service !== undefined) return (p['Service'] ?? []).includes(who.service);
  return (p['AWS'] ?? []).some((v) => v === '*' || (who.aws ?? []).includes(v));
}

/**
 * Whether a role's trust policy lets `who` perform `action` (sts:AssumeRole): an Allow naming them and no Deny.
 * Conditions are not evaluated here; the policy module's evaluate() takes this over.
 */
export function trustAllows(trust: PolicyDocument, action: string, who: { caller?: Caller; service?: string }): boolean {
  const aws = who.caller ? awsNames(who.caller) : undefined;
  const names = { ...(aws ? { aws } : {}), ...(who.service !== undefined ? { service: who.service } : {}) };
  const applies = (s: Statement): boolean => actionMatches(s, action) && (s.notPrincipal ? !principalMatches(s.notPrincipal, names) : principalMatches(s.principal, names));
  if (trust.statements.some((s) => s.effect === 'Deny' && applies(s))) return false;
  return trust.statements.some((s) => s.effect === 'Allow' && applies(s));
}

/** The names an AWS principal in a policy may give the caller: its ARN, its role's ARN, its account. */
function awsNames(c: Caller): string[] {
  const out = [c.arn, c.accountId, `arn:aws:iam::${c.accountId}:root`];
  if (c.roleArn) out.push(c.roleArn);
  return out;
}

const resourceMatches = (s: Statement, resource: string): boolean =>
  s.resource ? s.resource.some((r) => glob(r, resource)) : !(s.notResource ?? []).some((r) => glob(r, resource));

/** One kind of policy's verdict: a Deny that applies wins, then an Allow. */
function scan(docs: readonly PolicyDocument[], req: AuthzRequest): { effect: 'Allow' | 'Deny' | undefined; sid?: string } {
  let allow: Statement | undefined;
  for (const d of docs)
    for (const s of d.statements) {
      if (!actionMatches(s, req.action) || !resourceMatches(s, req.resource)) continue;
      if (s.effect === 'Deny') return { effect: 'Deny', ...(s.sid ? { sid: s.sid } : {}) };
      allow ??= s;
    }
  return allow ? { effect: 'Allow', ...(allow.sid ? { sid: allow.sid } : {}) } : { effect: undefined };
}

/**
 * The identity-side decision for SimulatePrincipalPolicy: identity policies, then the boundary and session policies
 * that limit them. Conditions are not evaluated; the policy module's evaluate() takes this over.
 */
export function decide(req: AuthzRequest, set: PolicySet): Decision {
  const kinds: [Decision['by'], readonly PolicyDocument[] | undefined][] = [['identity', set.identity], ['boundary', set.boundary ? [set.boundary] : undefined], ['session', set.session]];
  for (const [by, docs] of kinds) {
    const r = docs ? scan(docs, req) : undefined;
    if (r?.effect === 'Deny') return { effect: 'ExplicitDeny', by, ...(r.sid ? { sid: r.sid } : {}) };
  }
  for (const [by, docs] of kinds) {
    // An absent boundary or session limits nothing; no identity policy allows nothing.
    if (!docs || (by !== 'identity' && docs.length === 0)) continue;
    if (scan(docs, req).effect !== 'Allow') return { effect: 'ImplicitDeny', by };
  }
  const r = scan(set.identity, req);
  return { effect: 'Allow', by: 'identity', ...(r.sid ? { sid: r.sid } : {}) };
}
