// IAM and STS driven by the aws CLI (v1, and v2 where installed) against a live server: the commands people type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { awsCli, hasV2 } from '../helpers/aws-cli.js';
import { liveServer } from '../helpers/server.js';

const server = liveServer();
// CLI v2 (standard retry mode) adds how many retries it made to the message.
const RETRIES = String.raw`(?: \(reached max retries: \d+\))?`;
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'sts:AssumeRole' }] });

for (const v of [1, 2] as const) {
  test(`IAM CLI v${v}: create-user, create-access-key, create-role, attach-role-policy, assume-role and the errors as the CLI prints them`, { skip: v === 2 && !hasV2() ? 'no aws CLI v2 here' : false }, async () => {
    const cli = (...args: string[]) => awsCli(v, server().url, args);
    const u = await cli('iam', 'create-user', '--user-name', `cli${v}`);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(u.json().User.Arn, `arn:aws:iam::000000000000:user/cli${v}`);
    const k = await cli('iam', 'create-access-key', '--user-name', `cli${v}`);
    assert.match(k.json().AccessKey.AccessKeyId, /^AKIA/);
    const r = await cli('iam', 'create-role', '--role-name', `cli-role${v}`, '--assume-role-policy-document', TRUST);
    assert.equal(r.code, 0, r.stderr);
    // The CLI decodes the URL-encoded document IAM returns into JSON.
    assert.deepEqual(r.json().Role.AssumeRolePolicyDocument, JSON.parse(TRUST));
    const at = await cli('iam', 'attach-role-policy', '--role-name', `cli-role${v}`, '--policy-arn', 'arn:aws:iam::aws:policy/AWSLambda_FullAccess');
    assert.equal(at.code, 0, at.stderr);
    const listed = await cli('iam', 'list-attached-role-policies', '--role-name', `cli-role${v}`);
    assert.deepEqual(listed.json().AttachedPolicies, [{ PolicyName: 'AWSLambda_FullAccess', PolicyArn: 'arn:aws:iam::aws:policy/AWSLambda_FullAccess' }]);
    const s = await cli('sts', 'assume-role', '--role-arn', `arn:aws:iam::000000000000:role/cli-role${v}`, '--role-session-name', 'cli');
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.json().AssumedRoleUser.Arn, `arn:aws:sts::000000000000:assumed-role/cli-role${v}/cli`);
    const id = await cli('sts', 'get-caller-identity');
    assert.equal(id.json().Account, '000000000000');
    const dup = await cli('iam', 'create-user', '--user-name', `cli${v}`);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, new RegExp(String.raw`\(EntityAlreadyExists\) when calling the CreateUser operation${RETRIES}: User with name cli${v} already exists\.`));
    const gone = await cli('iam', 'delete-user', '--user-name', `cli${v}`);
    assert.match(gone.stderr, new RegExp(String.raw`\(DeleteConflict\) when calling the DeleteUser operation${RETRIES}: Cannot delete entity, must delete access keys first\.`));
    const missing = await cli('iam', 'get-role', '--role-name', 'nope');
    assert.match(missing.stderr, new RegExp(String.raw`\(NoSuchEntity\) when calling the GetRole operation${RETRIES}: The role with name nope cannot be found\.`));
    const all = await cli('iam', 'list-users');
    assert.ok(all.json().Users.some((x: { UserName: string }) => x.UserName === `cli${v}`));
  });
}
