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
