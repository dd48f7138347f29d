// The enforce-mode authorizer with Secrets Manager resource policies and KMS key policies: cross-account callers need
// the secret's policy, an explicit Deny in it wins in the account, a key policy must allow (directly, or by naming the
// account, which delegates to IAM), also for the root user; and KMS's lockout safety check on PutKeyPolicy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Caller, OperationContext } from '../../src/server/auth.js';
import { policyAuthorizer, type ResourcePolicyAnswer } from '../../src/services/iam/index.js';
import { parsePolicy } from '../../src/services/iam/policy/index.js';
import { checkKeyPolicy, withGrants } from '../../src/services/kms/key-policy.js';

const ACCT = '000000000000';
const OTHER = '111111111111';
const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCT}:secret:db-AbCdEf`;
const KEY = `arn:aws:kms:us-east-1:${ACCT}:key/11111111-2222-3333-4444-555555555555`;
const alice: Caller = { arn: `arn:aws:iam::${ACCT}:user/alice`, accountId: ACCT, userId: 'AIDAALICE', kind: 'user' };
const bob: Caller = { arn: `arn:aws:iam::${OTHER}:user/bob`, accountId: OTHER, userId: 'AIDABOB', kind: 'user' };
const root: Caller = { arn: `arn:aws:iam::${ACCT}:root`, accountId: ACCT, userId: ACCT, kind: 'root' };
const doc = (statements: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allowAll = parsePolicy(doc([{ Effect: 'Allow', Action: '*', Resource: '*' }]), 'identity');

function authz(resources: Record<string, ResourcePolicyAnswer>, identity: Record<string, boolean>) {
  return policyAuthorizer({
    policiesFor: async (c) => ({ identity: identity[c.arn] ? [allowAll] : [] }),
    resourcePolicy: (arn) => resources[arn],
    now: () => Date.UTC(2026, 0, 1),
  });
}
const op = (service: string, operation: string, input: Record<string, unknown>): OperationContext => ({ service, operation, region: 'us-east-1', accountId: ACCT, family: 'json', input: () => input });
const get = op('secretsmanager', 'GetSecretValue', { SecretId: SECRET });
const decide = async (a: ReturnType<typeof authz>, c: Caller, o: OperationContext): Promise<string> => {
  const r = await a.authorize(c, o);
  return r === 'allow' ? 'allow' : `${r.code}: ${r.message}`;
};

test('Secrets policy: a cross-account caller needs both its own IAM allow and the secret\'s resource policy', async () => {
  const grant = doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }]);
  assert.match(await decide(authz({}, { [bob.arn]: true }), bob, get), /^AccessDeniedException: User: arn:aws:iam::111111111111:user\/bob is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager/);
  assert.equal(await decide(authz({ [SECRET]: grant }, { [bob.arn]: true }), bob, get), 'allow');
  assert.match(await decide(authz({ [SECRET]: grant }, {}), bob, get), /because no identity-based policy allows/);
});

test('Secrets policy: an explicit Deny in the secret\'s policy wins over a same-account identity allow; a direct grant needs no identity policy', async () => {
  const deny = doc([{ Effect: 'Deny', Principal: { AWS: alice.arn }, Action: 'secretsmanager:*', Resource: '*' }]);
  assert.match(await decide(authz({ [SECRET]: deny }, { [alice.arn]: true }), alice, get), /with an explicit deny in a resource-based policy/);
  const direct = doc([{ Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }]);
  assert.equal(await decide(authz({ [SECRET]: direct }, {}), alice, get), 'allow');
});

test('KMS key policy: it must allow, even in the key\'s account; naming the account delegates to IAM; the root user is held to it too', async () => {
  const encrypt = op('kms', 'Encrypt', { KeyId: KEY, Plaintext: 'eA==' });
  const delegating = { policy: doc([{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'kms:*', Resource: '*' }]), mustAllow: true };
  assert.equal(await decide(authz({ [KEY]: delegating }, { [alice.arn]: true }), alice, encrypt), 'allow');
  assert.match(await decide(authz({ [KEY]: delegating }, {}), alice, encrypt), /because no identity-based policy allows the kms:Encrypt action/);
  const onlyCarol = { policy: doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:user/carol` }, Action: 'kms:*', Resource: '*' }]), mustAllow: true };
  assert.match(await decide(authz({ [KEY]: onlyCarol }, { [alice.arn]: true }), alice, encrypt), /^AccessDeniedException: User: arn:aws:iam::000000000000:user\/alice is not authorized to perform: kms:Encrypt on resource/);
  assert.match(await decide(authz({ [KEY]: onlyCarol }, {}), root, encrypt), /^AccessDeniedException/);
  assert.equal(await decide(authz({ [KEY]: delegating }, {}), root, encrypt), 'allow');
  // The same policy text as a plain resource policy (not a gate) would have let the IAM allow through.
  assert.equal(await decide(authz({ [KEY]: onlyCarol.policy }, { [alice.arn]: true }), alice, encrypt), 'allow');
  // Operations on no key (ListKeys) are the root's as before.
  assert.equal(await decide(authz({}, {}), root, op('kms', 'ListKeys', {})), 'allow');
});

test('KMS key policy: PutKeyPolicy refuses a policy that would lock the caller out, unless BypassPolicyLockoutSafetyCheck', () => {
  const lockout = doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:user/carol` }, Action: 'kms:*', Resource: '*' }]);
  assert.throws(() => checkKeyPolicy(lockout, alice, KEY, false), { code: 'MalformedPolicyDocumentException', message: 'The new key policy will not allow you to update the key policy in the future.' });
  assert.doesNotThrow(() => checkKeyPolicy(lockout, alice, KEY, true));
  const root2 = doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'kms:*', Resource: '*' }]);
  assert.doesNotThrow(() => checkKeyPolicy(root2, alice, KEY, false));
  assert.doesNotThrow(() => checkKeyPolicy(root2, root, KEY, false));
  const denyPut = doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'kms:*', Resource: '*' }, { Effect: 'Deny', Principal: '*', Action: 'kms:PutKeyPolicy', Resource: '*' }]);
  assert.throws(() => checkKeyPolicy(denyPut, root, KEY, false), { code: 'MalformedPolicyDocumentException' });
  assert.throws(() => checkKeyPolicy('{"Statement": 5}', root, KEY, true), { code: 'MalformedPolicyDocumentException' });
});

test('KMS grants: the grantee may perform the grant\'s operations on the key without an IAM policy, within its encryption-context constraints', async () => {
  const carol: Caller = { arn: `arn:aws:iam::${ACCT}:user/carol`, accountId: ACCT, userId: 'AIDACAROL', kind: 'user' };
  const policy = doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'kms:*', Resource: '*' }]);
  const grants = [
    { GrantId: 'g1', GranteePrincipal: carol.arn, Operations: ['Encrypt'] },
    { GrantId: 'g2', GranteePrincipal: carol.arn, Operations: ['Decrypt'], Constraints: { EncryptionContextEquals: { app: 'billing' } } },
  ];
  const a = authz({ [KEY]: { policy: withGrants(policy, grants), mustAllow: true } }, {});
  assert.equal(await decide(a, carol, op('kms', 'Encrypt', { KeyId: KEY, Plaintext: 'eA==' })), 'allow');
  assert.equal(await decide(a, carol, op('kms', 'Decrypt', { KeyId: KEY, CiphertextBlob: 'eA==', EncryptionContext: { app: 'billing' } })), 'allow');
  assert.match(await decide(a, carol, op('kms', 'Decrypt', { KeyId: KEY, CiphertextBlob: 'eA==', EncryptionContext: { app: 'billing', extra: '1' } })), /^AccessDeniedException/);
  assert.match(await decide(a, carol, op('kms', 'Decrypt', { KeyId: KEY, CiphertextBlob: 'eA==' })), /^AccessDeniedException/);
  assert.match(await decide(a, carol, op('kms', 'ReEncrypt', { SourceKeyId: KEY, DestinationKeyId: KEY, CiphertextBlob: 'eA==' })), /^AccessDeniedException/);
  assert.equal(withGrants(policy, []), policy);
});
