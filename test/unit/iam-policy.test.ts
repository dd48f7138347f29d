// IAM's policy language, focused: parse refusals and their messages, normalisation, size quotas, contextFor, denial messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Caller } from '../../src/server/auth.js';
import {
  contextFor,
  denialMessage,
  evaluate,
  parsePolicy,
  PolicyError,
  policySize,
  policySizeError,
  POLICY_SIZE_LIMITS,
  principalIdentities,
  type AuthzRequest,
  type PolicyKind,
} from '../../src/services/iam/policy/index.js';

const ACCT = '000000000000';
const alice: Caller = { arn: `arn:aws:iam::${ACCT}:user/alice`, accountId: ACCT, userId: 'AIDAALICE', kind: 'user' };
const session: Caller = {
  arn: `arn:aws:sts::${ACCT}:assumed-role/worker/run-1`,
  accountId: ACCT,
  userId: 'AROAWORKER:run-1',
  kind: 'assumed-role',
  roleArn: `arn:aws:iam::${ACCT}:role/service/worker`,
  sessionTags: { team: 'blue' },
  temporary: true,
};
const root: Caller = { arn: `arn:aws:iam::${ACCT}:root`, accountId: ACCT, userId: ACCT, kind: 'root' };

function refused(doc: unknown, kind: PolicyKind = 'identity'): string {
  try {
    parsePolicy(typeof doc === 'string' ? doc : JSON.stringify(doc), kind);
  } catch (e) {
    assert.ok(e instanceof PolicyError, `not a PolicyError: ${String(e)}`);
    return e.message;
  }
  assert.fail('the policy was accepted');
}

const ok = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' };

test('IAM policy: invalid JSON is refused as "This policy contains invalid Json"', () => {
  assert.equal(refused('{"Version":'), 'This policy contains invalid Json');
  assert.equal(refused('"a string"'), 'This policy contains invalid Json');
});

test('IAM policy: an unknown Version fails legacy parsing; a missing one means 2008-10-17', () => {
  assert.equal(refused({ Version: '2012-10-17 ', Statement: [ok] }), 'The policy failed legacy parsing');
  assert.equal(refused({ Version: 2012, Statement: [ok] }), 'The policy failed legacy parsing');
  assert.equal(parsePolicy(JSON.stringify({ Statement: ok }), 'identity').version, '2008-10-17');
});

test('IAM policy: unknown keys at the top or in a statement are syntax errors', () => {
  assert.equal(refused({ Version: '2012-10-17', Statement: [ok], Comment: 'x' }), 'Syntax errors in policy.');
  assert.equal(refused({ Version: '2012-10-17', Statement: [{ ...ok, Actions: 's3:*' }] }), 'Syntax errors in policy.');
  assert.equal(refused({ Version: '2012-10-17', Statement: [] }), 'Syntax errors in policy.');
  assert.equal(refused({ Version: '2012-10-17', Statement: ['x'] }), 'Syntax errors in policy.');
});

test('IAM policy: a statement without actions or resources is refused in IAM\'s words', () => {
  assert.equal(refused({ Version: '2012-10-17', Statement: { Effect: 'Allow', Resource: '*' } }), 'Policy statement must contain actions.');
  assert.equal(refused({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:*' } }), 'Policy statement must contain resources.');
  assert.equal(refused({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:*', Resource: [] } }), 'Policy statement must contain resources.');
});

test('IAM policy: Principal is refused in an identity policy and required in resource and trust policies', () => {
  assert.equal(refused({ Version: '2012-10-17', Statement: { ...ok, Principal: { AWS: ACCT } } }), 'Policy document should not specify a principal.');
  assert.equal(refused({ Version: '2012-10-17', Statement: ok }, 'resource'), 'Missing required field Principal');
  assert.equal(refused({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'sts:AssumeRole' } }, 'trust'), 'Missing required field Principal');
  assert.equal(refused({ Version: '2012-10-17', Statement: { ...ok, Principal: '*' } }, 'trust'), 'Has prohibited field Resource');
  assert.equal(refused({ Version: '2012-10-17', Statement: { ...ok, Principal: { AWS: 'arn:aws:s3:::b' } } }, 'resource'), 'Invalid principal in policy: "AWS":"arn:aws:s3:::b"');
});

test('IAM policy: actions and condition keys must be prefaced by a vendor', () => {
  const vendor = 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.';
  assert.equal(refused({ Version: '2012-10-17', Statement: { ...ok, Action: 'GetObject' } }), vendor);
  assert.equal(refused({ Version: '2012-10-17', Statement: { ...ok, Action: ['s3:GetObject', 'ListBucket'] } }), vendor);
  assert.equal(refused({ Version: '2012-10-17', Statement: { ...ok, Condition: { Bool: { SecureTransport: 'true' } } } }), vendor);
});

test('IAM policy: a duplicate Sid is refused; empty Sids may repeat', () => {
  const a = { ...ok, Sid: 'One' };
  assert.equal(refused({ Version: '2012-10-17', Statement: [a, a] }), 'Statement IDs (SID) in a single policy must be unique.');
  const empty = { ...ok, Sid: '' };
  assert.equal(parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [empty, empty] }), 'identity').statements.length, 2);
});

test('IAM policy: single values are normalised to arrays and condition scalars to text', () => {
  const doc = parsePolicy(
    JSON.stringify({
      Version: '2012-10-17',
      Id: 'p1',
      Statement: { Sid: 'S', Effect: 'Deny', Principal: { AWS: ACCT, Service: ['lambda.amazonaws.com'] }, NotAction: 's3:*', NotResource: 'arn:aws:s3:::b', Condition: { NumericLessThan: { 's3:max-keys': 10 }, Bool: { 'aws:SecureTransport': false } } },
    }),
    'resource',
  );
  assert.equal(doc.id, 'p1');
  assert.equal(doc.kind, 'resource');
  const st = doc.statements[0]!;
  assert.deepEqual(st.notAction, ['s3:*']);
  assert.deepEqual(st.notResource, ['arn:aws:s3:::b']);
  assert.deepEqual(st.principal, { AWS: [ACCT], Service: ['lambda.amazonaws.com'] });
  assert.deepEqual(st.condition, { NumericLessThan: { 's3:max-keys': ['10'] }, Bool: { 'aws:SecureTransport': ['false'] } });
  assert.equal(st.action, undefined);
});

test('IAM policy: sizes are counted without whitespace against the user, group, role and managed quotas', () => {
  assert.equal(policySize('{ "a" :\n\t"b c" }'), 10);
  assert.deepEqual(POLICY_SIZE_LIMITS, { user: 2048, group: 5120, role: 10240, managed: 6144 });
  assert.equal(policySizeError('user', 2048, 'alice'), undefined);
  assert.equal(policySizeError('user', 2049, 'alice'), 'Maximum policy size of 2048 bytes exceeded for user alice');
  assert.equal(policySizeError('group', 5121, 'devs'), 'Maximum policy size of 5120 bytes exceeded for group devs');
  assert.equal(policySizeError('role', 10241, 'r'), 'Maximum policy size of 10240 bytes exceeded for role r');
  assert.equal(policySizeError('managed', 6145), 'Cannot exceed quota for PolicySize: 6144');
  assert.equal(policySizeError('managed', 6144), undefined);
});

test('IAM policy: contextFor fills the principal keys of a user, a role session and the root user', () => {
  const u = contextFor(alice, { 'aws:SourceIp': '10.0.0.1' });
  assert.equal(u['aws:username'], 'alice');
  assert.equal(u['aws:userid'], 'AIDAALICE');
  assert.equal(u['aws:PrincipalArn'], alice.arn);
  assert.equal(u['aws:PrincipalType'], 'User');
  assert.equal(u['aws:PrincipalAccount'], ACCT);
  assert.equal(u['aws:SourceIp'], '10.0.0.1');
  const s = contextFor(session);
  assert.equal(s['aws:PrincipalArn'], session.roleArn, 'a session\'s aws:PrincipalArn is its role');
  assert.equal(s['aws:PrincipalType'], 'AssumedRole');
  assert.equal(s['aws:username'], undefined);
  assert.equal(s['aws:PrincipalTag/team'], 'blue');
  assert.equal(contextFor(root)['aws:PrincipalType'], 'Account');
  assert.deepEqual(principalIdentities(session), [session.arn, session.roleArn, `arn:aws:iam::${ACCT}:root`]);
});

const req = (caller: Caller, action: string, resource: string, extras: Record<string, string | string[]> = {}): AuthzRequest => ({
  caller,
  action,
  resource,
  resourceAccount: ACCT,
  context: contextFor(caller, extras),
});

test('IAM policy: denial messages read as AWS writes them, for every deciding policy kind', () => {
  const r = req(alice, 'lambda:InvokeFunction', `arn:aws:lambda:us-east-1:${ACCT}:function:f`);
  const head = `User: ${alice.arn} is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:${ACCT}:function:f`;
  assert.equal(denialMessage(r, { effect: 'ImplicitDeny', by: 'identity' }), `${head} because no identity-based policy allows the lambda:InvokeFunction action`);
  assert.equal(denialMessage(r, { effect: 'ImplicitDeny', by: 'resource' }), `${head} because no resource-based policy allows the lambda:InvokeFunction action`);
  assert.equal(denialMessage(r, { effect: 'ImplicitDeny', by: 'boundary' }), `${head} because no permissions boundary allows the lambda:InvokeFunction action`);
  assert.equal(denialMessage(r, { effect: 'ImplicitDeny', by: 'session' }), `${head} because no session policy allows the lambda:InvokeFunction action`);
  assert.equal(denialMessage(r, { effect: 'ExplicitDeny', by: 'identity' }), `${head} with an explicit deny in an identity-based policy`);
  assert.equal(denialMessage(r, { effect: 'ExplicitDeny', by: 'resource' }), `${head} with an explicit deny in a resource-based policy`);
  const list = req(alice, 'codecommit:ListRepositories', '*');
  assert.equal(
    denialMessage(list, { effect: 'ImplicitDeny', by: 'identity' }),
    `User: ${alice.arn} is not authorized to perform: codecommit:ListRepositories because no identity-based policy allows the codecommit:ListRepositories action`,
  );
});

test('IAM policy: evaluate is pure — the same answer twice, inputs untouched', () => {
  const doc = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/${aws:username}/*' } }), 'identity');
  const r = req(alice, 's3:GetObject', 'arn:aws:s3:::b/alice/x');
  const before = JSON.stringify([r, doc]);
  assert.deepEqual(evaluate(r, { identity: [doc] }), { effect: 'Allow', by: 'identity' });
  assert.deepEqual(evaluate(r, { identity: [doc] }), { effect: 'Allow', by: 'identity' });
  assert.equal(JSON.stringify([r, doc]), before);
});

test('IAM policy: the deciding statement\'s Sid is reported', () => {
  const doc = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Ok', ...ok }, { Sid: 'NoDelete', Effect: 'Deny', Action: 's3:Delete*', Resource: '*' }] }), 'identity');
  assert.deepEqual(evaluate(req(alice, 's3:GetObject', 'arn:aws:s3:::b/k'), { identity: [doc] }), { effect: 'Allow', by: 'identity', sid: 'Ok' });
  assert.deepEqual(evaluate(req(alice, 's3:DeleteObject', 'arn:aws:s3:::b/k'), { identity: [doc] }), { effect: 'ExplicitDeny', by: 'identity', sid: 'NoDelete' });
});

test('IAM policy: a single-valued operator on a multi-valued key matches any value; its negation matches none', () => {
  const mk = (op: string) =>
    parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'ec2:*', Resource: '*', Condition: { [op]: { 'aws:TagKeys': 'env' } } } }), 'identity');
  const r = req(alice, 'ec2:CreateTags', '*', { 'aws:TagKeys': ['env', 'owner'] });
  assert.equal(evaluate(r, { identity: [mk('StringEquals')] }).effect, 'Allow');
  assert.equal(evaluate(r, { identity: [mk('StringNotEquals')] }).effect, 'ImplicitDeny');
  assert.equal(evaluate(req(alice, 'ec2:CreateTags', '*', { 'aws:TagKeys': ['owner'] }), { identity: [mk('StringNotEquals')] }).effect, 'Allow');
});

test('IAM policy: malformed shapes are refused with a PolicyError, never a crash', () => {
  const shapes: unknown[] = [
    null,
    42,
    { Statement: null },
    { Statement: [null] },
    { Version: null, Statement: ok },
    { Statement: { ...ok, Condition: null } },
    { Statement: { ...ok, Condition: { StringEquals: null } } },
    { Statement: { ...ok, Condition: { StringEquals: { 'aws:x': [null] } } } },
    { Statement: { ...ok, Action: { a: 1 } } },
    { Statement: { ...ok, Resource: [['arn:aws:s3:::b']] } },
    { Statement: { ...ok, Sid: 7 } },
    { Id: 5, Statement: ok },
  ];
  for (const s of shapes) {
    assert.throws(() => parsePolicy(JSON.stringify(s), 'identity'), PolicyError, JSON.stringify(s));
  }
  const principals: unknown[] = [{ AWS: null }, { AWS: [] }, {}, [ACCT], 'arn:aws:iam::000000000000:root', { AWS: 123456789012 }];
  for (const p of principals) {
    assert.throws(() => parsePolicy(JSON.stringify({ Statement: { ...ok, Principal: p } }), 'resource'), PolicyError, JSON.stringify(p));
  }
});

test('IAM policy: a Service principal grants only the named service, never an ordinary caller', () => {
  const fn = `arn:aws:lambda:us-east-1:${ACCT}:function:f`;
  const other: Caller = { arn: 'arn:aws:iam::111111111111:user/mallory', accountId: '111111111111', userId: 'AIDAM', kind: 'user' };
  for (const service of ['sns.amazonaws.com', '*']) {
    const doc = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: { Service: service }, Action: 'lambda:InvokeFunction', Resource: fn } }), 'resource');
    const r: AuthzRequest = { caller: other, action: 'lambda:InvokeFunction', resource: fn, resourceAccount: ACCT, context: contextFor(other) };
    assert.equal(evaluate(r, { identity: [], resource: doc }).effect, 'ImplicitDeny', service);
  }
  const doc = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'lambda:InvokeFunction', Resource: fn } }), 'resource');
  const sns: AuthzRequest = { caller: other, action: 'lambda:InvokeFunction', resource: fn, resourceAccount: ACCT, context: contextFor(other, { 'aws:PrincipalServiceName': 'sns.amazonaws.com' }) };
  assert.equal(evaluate(sns, { identity: [], resource: doc }).effect, 'Allow');
});

test('IAM policy: request extras cannot override the principal-derived keys, in any letter case', () => {
  const c = contextFor(alice, { 'AWS:PrincipalArn': `arn:aws:iam::${ACCT}:role/admin`, 'aws:username': 'root', 'aws:PrincipalTag/x': 'y', 'aws:SourceIp': '10.0.0.1' });
  assert.equal(c['aws:PrincipalArn'], alice.arn);
  assert.equal(c['AWS:PrincipalArn'], undefined);
  assert.equal(c['aws:username'], 'alice');
  assert.equal(c['aws:PrincipalTag/x'], 'y');
  const s = contextFor(session, { 'aws:username': 'alice', 'aws:PrincipalTag/team': 'red' });
  assert.equal(s['aws:username'], undefined, 'a role session has no aws:username, even if a request says so');
  assert.equal(s['aws:PrincipalTag/team'], 'blue', 'session tags win over the role\'s tags');
});
