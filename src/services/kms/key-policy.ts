// Key policies as KMS checks them when they are set: IAM's policy grammar, and the lockout safety check (the caller
// must still be able to call PutKeyPolicy under the new policy, unless BypassPolicyLockoutSafetyCheck).
import type { Caller } from '../../server/auth.js';
import { contextFor, evaluate, parsePolicy, type ParsedPolicy } from '../iam/index.js';
import * as E from './errors.js';

/** What IAM would let the caller do, were its identity policies to allow everything: the key policy alone decides. */
const ANYTHING: ParsedPolicy = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }), 'identity');

/**
 * Refuses a key policy that does not parse, or (without `bypass`) one under which `caller` could not set the key's
 * policy again: AWS's "The new key policy will not allow you to update the key policy in the future."
 */
export function checkKeyPolicy(text: string, caller: Caller, keyArn: string, bypass: boolean): void {
  let doc: ParsedPolicy;
  try {
    doc = parsePolicy(text, 'resource');
  } catch (e) {
    throw E.malformedPolicy(e instanceof Error && e.message ? e.message : 'The policy document is not valid.');
  }
  if (bypass) return;
  const account = keyArn.split(':')[4] || caller.accountId;
  const decision = evaluate(
    { caller, action: 'kms:PutKeyPolicy', resource: keyArn, resourceAccount: account, context: contextFor(caller, {}) },
    { identity: [ANYTHING], resource: doc, resourceMustAllow: true },
  );
  if (decision.effect !== 'Allow') throw E.malformedPolicy('The new key policy will not allow you to update the key policy in the future.');
}

/**
 * The key policy with the key's grants as further Allow statements, which is how the authorizer evaluates them: a
 * grant lets its grantee principal perform its operations on the key (without an IAM policy, as on AWS), under its
 * encryption-context constraints (EncryptionContextSubset: those pairs must be in the request's context;
 * EncryptionContextEquals: exactly those pairs).
 */
export function withGrants(policy: string, grants: readonly Record<string, unknown>[]): string {
  if (grants.length === 0) return policy;
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(policy) as { Statement?: unknown };
  } catch {
    return policy;
  }
  const base = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  const extra = grants.flatMap((g) => {
    const grantee = g['GranteePrincipal'];
    const ops = g['Operations'];
    if (typeof grantee !== 'string' || !Array.isArray(ops) || ops.length === 0) return [];
    const principal = grantee.startsWith('arn:') || /^\d{12}$/.test(grantee) ? { AWS: grantee } : { Service: grantee };
    const c = (g['Constraints'] ?? {}) as { EncryptionContextSubset?: Record<string, string>; EncryptionContextEquals?: Record<string, string> };
    const pairs = { ...(c.EncryptionContextSubset ?? {}), ...(c.EncryptionContextEquals ?? {}) };
    const condition: Record<string, Record<string, unknown>> = {};
    if (Object.keys(pairs).length > 0) condition['StringEquals'] = Object.fromEntries(Object.entries(pairs).map(([k, v]) => [`kms:EncryptionContext:${k}`, v]));
    if (c.EncryptionContextEquals) condition['ForAllValues:StringEquals'] = { 'kms:EncryptionContextKeys': Object.keys(c.EncryptionContextEquals) };
    return [{
      Sid: `Grant${String(g['GrantId'] ?? '').slice(0, 16)}`, Effect: 'Allow', Principal: principal, Action: ops.map((o) => `kms:${String(o)}`), Resource: '*',
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    }];
  });
  return JSON.stringify({ ...doc, Statement: [...base, ...extra] });
}
