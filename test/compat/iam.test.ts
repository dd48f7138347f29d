// Compatibility: IAM through @aws-sdk/client-iam (query protocol) against a live server: users, groups, roles,
// access keys, inline and managed policies with versions, pagination, IAM's error codes and messages, durability.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddUserToGroupCommand, AttachRolePolicyCommand, AttachUserPolicyCommand, CreateAccessKeyCommand, CreateGroupCommand, CreatePolicyCommand,
  CreatePolicyVersionCommand, CreateRoleCommand, CreateUserCommand, DeleteAccessKeyCommand, DeleteGroupCommand, DeletePolicyCommand,
  DeletePolicyVersionCommand, DeleteRoleCommand, DeleteRolePermissionsBoundaryCommand, DeleteRolePolicyCommand, DeleteUserCommand, DeleteUserPolicyCommand,
  DetachRolePolicyCommand, DetachUserPolicyCommand, GetAccessKeyLastUsedCommand, GetAccountAuthorizationDetailsCommand, GetGroupCommand,
  GetGroupPolicyCommand, GetPolicyCommand, GetPolicyVersionCommand, GetRoleCommand, GetRolePolicyCommand, GetUserCommand, GetUserPolicyCommand,
  IAMClient, ListAccessKeysCommand, ListAttachedRolePoliciesCommand, ListEntitiesForPolicyCommand, ListGroupsForUserCommand, ListPoliciesCommand,
  ListPolicyVersionsCommand, ListRolePoliciesCommand, ListRolesCommand, ListUsersCommand, ListUserTagsCommand, PutGroupPolicyCommand,
  PutRolePermissionsBoundaryCommand, PutRolePolicyCommand, PutUserPolicyCommand, RemoveUserFromGroupCommand, SetDefaultPolicyVersionCommand,
  TagUserCommand, UntagUserCommand, UpdateAccessKeyCommand, UpdateAssumeRolePolicyCommand, UpdateRoleCommand, UpdateUserCommand,
  CreateInstanceProfileCommand, SimulatePrincipalPolicyCommand, SimulateCustomPolicyCommand, PutUserPermissionsBoundaryCommand, AddRoleToInstanceProfileCommand, GetInstanceProfileCommand, RemoveRoleFromInstanceProfileCommand, DeleteInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { liveServer, removeServer, startServer } from '../helpers/server.js';

const server = liveServer();
const iamAt = (url: string): IAMClient => new IAMClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
const iam = (): IAMClient => iamAt(server().url);

/** Asserts an IAM error: its code, HTTP status and exact message. */
async function fails(p: Promise<unknown>, code: string, status: number, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: { name: string; message: string; $metadata: { httpStatusCode?: number } }) => {
    assert.equal(e.name, code);
    assert.equal(e.$metadata.httpStatusCode, status);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

const S3_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] });
const doc = (action: string): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
const trust = (principal: Record<string, string>): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }] });

test('IAM: a user is created with path and tags, read, renamed and deleted; ids and ARNs are formed as AWS forms them', async () => {
  const c = iam();
  const made = (await c.send(new CreateUserCommand({ UserName: 'ann', Path: '/team/', Tags: [{ Key: 'k', Value: 'v' }] }))).User!;
  assert.match(made.UserId!, /^AIDA[A-Z2-7]{17}$/);
  assert.equal(made.Arn, 'arn:aws:iam::000000000000:user/team/ann');
  assert.ok(made.CreateDate instanceof Date);
  const got = (await c.send(new GetUserCommand({ UserName: 'ann' }))).User!;
  assert.equal(got.UserId, made.UserId);
  assert.deepEqual(got.Tags, [{ Key: 'k', Value: 'v' }]);
  await c.send(new TagUserCommand({ UserName: 'ann', Tags: [{ Key: 'K', Value: 'w' }, { Key: 'x', Value: 'y' }] }));
  await c.send(new UntagUserCommand({ UserName: 'ann', TagKeys: ['x'] }));
  assert.deepEqual((await c.send(new ListUserTagsCommand({ UserName: 'ann' }))).Tags, [{ Key: 'K', Value: 'w' }]);
  const listed = (await c.send(new ListUsersCommand({ PathPrefix: '/team/' }))).Users!.map((u) => u.UserName);
  assert.deepEqual(listed, ['ann']);
  await c.send(new UpdateUserCommand({ UserName: 'ann', NewUserName: 'anna', NewPath: '/ops/' }));
  const moved = (await c.send(new GetUserCommand({ UserName: 'anna' }))).User!;
  assert.equal(moved.Arn, 'arn:aws:iam::000000000000:user/ops/anna');
  assert.equal(moved.UserId, made.UserId);
  await fails(c.send(new GetUserCommand({ UserName: 'ann' })), 'NoSuchEntityException', 404, 'The user with name ann cannot be found.');
  await c.send(new DeleteUserCommand({ UserName: 'anna' }));
  await fails(c.send(new DeleteUserCommand({ UserName: 'anna' })), 'NoSuchEntityException', 404, 'The user with name anna cannot be found.');
});

test('IAM: a second user of the same name (in any case) is EntityAlreadyExists; bad names are ValidationError as the model words them', async () => {
  const c = iam();
  await c.send(new CreateUserCommand({ UserName: 'dup' }));
  await fails(c.send(new CreateUserCommand({ UserName: 'dup' })), 'EntityAlreadyExistsException', 409, 'User with name dup already exists.');
  await fails(c.send(new CreateUserCommand({ UserName: 'DUP' })), 'EntityAlreadyExistsException', 409, 'User with name DUP already exists.');
  await fails(c.send(new CreateUserCommand({ UserName: 'bad name!' })), 'ValidationError', 400,
    "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
  await fails(c.send(new CreateUserCommand({ UserName: 'u'.repeat(65) })), 'ValidationError', 400, /Member must have length less than or equal to 64$/);
  await fails(c.send(new CreateUserCommand({ UserName: 'p', Path: 'nope' })), 'ValidationError', 400, /at 'path' failed to satisfy constraint/);
});

test('IAM: access keys show their secret only at creation, go Inactive and back, are at most two, and block DeleteUser until deleted', async () => {
  const c = iam();
  await c.send(new CreateUserCommand({ UserName: 'keyed' }));
  const k = (await c.send(new CreateAccessKeyCommand({ UserName: 'keyed' }))).AccessKey!;
  assert.match(k.AccessKeyId!, /^AKIA[A-Z2-7]{16}$/);
  assert.equal(k.SecretAccessKey!.length, 40);
  assert.equal(k.Status, 'Active');
  const meta = (await c.send(new ListAccessKeysCommand({ UserName: 'keyed' }))).AccessKeyMetadata!;
  assert.equal(meta.length, 1);
  assert.equal(meta[0]!.AccessKeyId, k.AccessKeyId);
  assert.equal((meta[0] as Record<string, unknown>)['SecretAccessKey'], undefined);
  await c.send(new UpdateAccessKeyCommand({ UserName: 'keyed', AccessKeyId: k.AccessKeyId!, Status: 'Inactive' }));
  assert.equal((await c.send(new ListAccessKeysCommand({ UserName: 'keyed' }))).AccessKeyMetadata![0]!.Status, 'Inactive');
  const last = await c.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKeyId! }));
  assert.equal(last.UserName, 'keyed');
  await c.send(new CreateAccessKeyCommand({ UserName: 'keyed' }));
  await fails(c.send(new CreateAccessKeyCommand({ UserName: 'keyed' })), 'LimitExceededException', 409, 'Cannot exceed quota for AccessKeysPerUser: 2');
  await fails(c.send(new DeleteUserCommand({ UserName: 'keyed' })), 'DeleteConflictException', 409, 'Cannot delete entity, must delete access keys first.');
  await fails(c.send(new DeleteAccessKeyCommand({ UserName: 'keyed', AccessKeyId: 'AKIANOTAKEYATALL0000' })), 'NoSuchEntityException', 404, 'The Access Key with id AKIANOTAKEYATALL0000 cannot be found.');
  for (const m of (await c.send(new ListAccessKeysCommand({ UserName: 'keyed' }))).AccessKeyMetadata!) await c.send(new DeleteAccessKeyCommand({ UserName: 'keyed', AccessKeyId: m.AccessKeyId! }));
  await c.send(new DeleteUserCommand({ UserName: 'keyed' }));
});

test('IAM: group members, ListGroupsForUser, and DeleteConflict for a group with users and a user in a group or with policies', async () => {
  const c = iam();
  const g = (await c.send(new CreateGroupCommand({ GroupName: 'devs', Path: '/eng/' }))).Group!;
  assert.match(g.GroupId!, /^AGPA[A-Z2-7]{17}$/);
  assert.equal(g.Arn, 'arn:aws:iam::000000000000:group/eng/devs');
  await c.send(new CreateUserCommand({ UserName: 'gus' }));
  await c.send(new AddUserToGroupCommand({ GroupName: 'devs', UserName: 'gus' }));
  assert.deepEqual((await c.send(new GetGroupCommand({ GroupName: 'devs' }))).Users!.map((u) => u.UserName), ['gus']);
  assert.deepEqual((await c.send(new ListGroupsForUserCommand({ UserName: 'gus' }))).Groups!.map((x) => x.GroupName), ['devs']);
  await fails(c.send(new DeleteGroupCommand({ GroupName: 'devs' })), 'DeleteConflictException', 409, 'Cannot delete entity, must remove users from group first.');
  await fails(c.send(new DeleteUserCommand({ UserName: 'gus' })), 'DeleteConflictException', 409, 'Cannot delete entity, must remove users from group first.');
  await c.send(new RemoveUserFromGroupCommand({ GroupName: 'devs', UserName: 'gus' }));
  await c.send(new PutUserPolicyCommand({ UserName: 'gus', PolicyName: 'inline', PolicyDocument: S3_ALL }));
  await fails(c.send(new DeleteUserCommand({ UserName: 'gus' })), 'DeleteConflictException', 409, 'Cannot delete entity, must delete policies first.');
  await c.send(new DeleteUserPolicyCommand({ UserName: 'gus', PolicyName: 'inline' }));
  await c.send(new AttachUserPolicyCommand({ UserName: 'gus', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
  await fails(c.send(new DeleteUserCommand({ UserName: 'gus' })), 'DeleteConflictException', 409, 'Cannot delete entity, must detach all policies first.');
  await c.send(new DetachUserPolicyCommand({ UserName: 'gus', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
  await c.send(new DeleteUserCommand({ UserName: 'gus' }));
  await c.send(new DeleteGroupCommand({ GroupName: 'devs' }));
  await fails(c.send(new GetGroupCommand({ GroupName: 'devs' })), 'NoSuchEntityException', 404, 'The group with name devs cannot be found.');
});

test('IAM: a role keeps its trust policy (returned URL-encoded), session duration, boundary and description, and is deleted once bare', async () => {
  const c = iam();
  const t = trust({ Service: 'lambda.amazonaws.com' });
  const r = (await c.send(new CreateRoleCommand({ RoleName: 'exec', AssumeRolePolicyDocument: t, MaxSessionDuration: 7200, Description: 'd', Tags: [{ Key: 'a', Value: 'b' }] }))).Role!;
  assert.match(r.RoleId!, /^AROA[A-Z2-7]{17}$/);
  assert.equal(r.Arn, 'arn:aws:iam::000000000000:role/exec');
  assert.equal(decodeURIComponent(r.AssumeRolePolicyDocument!), t);
  const got = (await c.send(new GetRoleCommand({ RoleName: 'exec' }))).Role!;
  assert.equal(got.MaxSessionDuration, 7200);
  assert.equal(got.Description, 'd');
  await c.send(new UpdateRoleCommand({ RoleName: 'exec', MaxSessionDuration: 3600, Description: 'e' }));
  const t2 = trust({ AWS: 'arn:aws:iam::000000000000:root' });
  await c.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'exec', PolicyDocument: t2 }));
  await c.send(new PutRolePermissionsBoundaryCommand({ RoleName: 'exec', PermissionsBoundary: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' }));
  const after = (await c.send(new GetRoleCommand({ RoleName: 'exec' }))).Role!;
  assert.equal(after.MaxSessionDuration, 3600);
  assert.equal(after.Description, 'e');
  assert.equal(decodeURIComponent(after.AssumeRolePolicyDocument!), t2);
  assert.equal(after.PermissionsBoundary?.PermissionsBoundaryArn, 'arn:aws:iam::aws:policy/AmazonS3FullAccess');
  await c.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: 'exec' }));
  assert.equal((await c.send(new GetRoleCommand({ RoleName: 'exec' }))).Role!.PermissionsBoundary, undefined);
  await fails(c.send(new UpdateRoleCommand({ RoleName: 'exec', MaxSessionDuration: 100 })), 'ValidationError', 400, /Member must have value greater than or equal to 3600$/);
  await fails(c.send(new CreateRoleCommand({ RoleName: 'exec', AssumeRolePolicyDocument: t })), 'EntityAlreadyExistsException', 409, 'Role with name exec already exists.');
  await fails(c.send(new CreateRoleCommand({ RoleName: 'bad', AssumeRolePolicyDocument: '{not json' })), 'MalformedPolicyDocumentException', 400, 'This policy contains invalid Json');
  assert.ok((await c.send(new ListRolesCommand({}))).Roles!.some((x) => x.RoleName === 'exec'));
  await c.send(new PutRolePolicyCommand({ RoleName: 'exec', PolicyName: 'p', PolicyDocument: S3_ALL }));
  await fails(c.send(new DeleteRoleCommand({ RoleName: 'exec' })), 'DeleteConflictException', 409, 'Cannot delete entity, must delete policies first.');
  await c.send(new DeleteRolePolicyCommand({ RoleName: 'exec', PolicyName: 'p' }));
  await c.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'ip' }));
  await c.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'ip', RoleName: 'exec' }));
  assert.deepEqual((await c.send(new GetInstanceProfileCommand({ InstanceProfileName: 'ip' }))).InstanceProfile!.Roles!.map((x) => x.RoleName), ['exec']);
  await fails(c.send(new DeleteRoleCommand({ RoleName: 'exec' })), 'DeleteConflictException', 409, 'Cannot delete entity, must remove roles from instance profile first.');
  await c.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'ip', RoleName: 'exec' }));
  await c.send(new DeleteInstanceProfileCommand({ InstanceProfileName: 'ip' }));
  await c.send(new DeleteRoleCommand({ RoleName: 'exec' }));
  await fails(c.send(new GetRoleCommand({ RoleName: 'exec' })), 'NoSuchEntityException', 404, 'The role with name exec cannot be found.');
});

test('IAM: inline policies of users, groups and roles are put, read back URL-encoded, listed and deleted; malformed ones are refused', async () => {
  const c = iam();
  await c.send(new CreateUserCommand({ UserName: 'inl' }));
  await c.send(new CreateGroupCommand({ GroupName: 'inlg' }));
  await c.send(new CreateRoleCommand({ RoleName: 'inlr', AssumeRolePolicyDocument: trust({ Service: 'lambda.amazonaws.com' }) }));
  await c.send(new PutUserPolicyCommand({ UserName: 'inl', PolicyName: 'a', PolicyDocument: doc('sqs:*') }));
  await c.send(new PutGroupPolicyCommand({ GroupName: 'inlg', PolicyName: 'b', PolicyDocument: doc('sns:*') }));
  await c.send(new PutRolePolicyCommand({ RoleName: 'inlr', PolicyName: 'c', PolicyDocument: doc('s3:*') }));
  const u = await c.send(new GetUserPolicyCommand({ UserName: 'inl', PolicyName: 'a' }));
  assert.equal(u.PolicyDocument, encodeURIComponent(doc('sqs:*')));
  assert.equal(decodeURIComponent((await c.send(new GetGroupPolicyCommand({ GroupName: 'inlg', PolicyName: 'b' }))).PolicyDocument!), doc('sns:*'));
  assert.equal(decodeURIComponent((await c.send(new GetRolePolicyCommand({ RoleName: 'inlr', PolicyName: 'c' }))).PolicyDocument!), doc('s3:*'));
  assert.deepEqual((await c.send(new ListRolePoliciesCommand({ RoleName: 'inlr' }))).PolicyNames, ['c']);
  await fails(c.send(new GetUserPolicyCommand({ UserName: 'inl', PolicyName: 'zz' })), 'NoSuchEntityException', 404, 'The user policy with name zz cannot be found.');
  await fails(c.send(new PutUserPolicyCommand({ UserName: 'inl', PolicyName: 'm', PolicyDocument: '{"Statement": [' })), 'MalformedPolicyDocumentException', 400, 'This policy contains invalid Json');
  await fails(c.send(new PutUserPolicyCommand({ UserName: 'inl', PolicyName: 'm', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*' }] }) })),
    'MalformedPolicyDocumentException', 400, 'Policy statement must contain resources.');
  await fails(c.send(new PutUserPolicyCommand({ UserName: 'nobody', PolicyName: 'm', PolicyDocument: S3_ALL })), 'NoSuchEntityException', 404, 'The user with name nobody cannot be found.');
  const big = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: Array.from({ length: 150 }, (_, i) => `s3:Action${i}`), Resource: '*' }] });
  await fails(c.send(new PutUserPolicyCommand({ UserName: 'inl', PolicyName: 'big', PolicyDocument: big })), 'LimitExceededException', 409, 'Maximum policy size of 2048 bytes exceeded for user inl');
  await c.send(new PutRolePolicyCommand({ RoleName: 'inlr', PolicyName: 'big', PolicyDocument: big }));
  await c.send(new DeleteUserPolicyCommand({ UserName: 'inl', PolicyName: 'a' }));
  await fails(c.send(new DeleteUserPolicyCommand({ UserName: 'inl', PolicyName: 'a' })), 'NoSuchEntityException', 404, 'The user policy with name a cannot be found.');
});

test('IAM: managed policies are attached (AWS managed ones too), counted, listed by Scope and OnlyAttached, and not deleted while attached', async () => {
  const c = iam();
  const p = (await c.send(new CreatePolicyCommand({ PolicyName: 'mp', Path: '/app/', PolicyDocument: S3_ALL, Description: 'desc' }))).Policy!;
  assert.equal(p.Arn, 'arn:aws:iam::000000000000:policy/app/mp');
  assert.match(p.PolicyId!, /^ANPA[A-Z2-7]{17}$/);
  assert.equal(p.DefaultVersionId, 'v1');
  await fails(c.send(new CreatePolicyCommand({ PolicyName: 'mp', PolicyDocument: S3_ALL })), 'EntityAlreadyExistsException', 409, 'A policy called mp already exists. Duplicate names are not allowed.');
  await c.send(new CreateRoleCommand({ RoleName: 'mr', AssumeRolePolicyDocument: trust({ Service: 'lambda.amazonaws.com' }) }));
  await c.send(new AttachRolePolicyCommand({ RoleName: 'mr', PolicyArn: p.Arn! }));
  await c.send(new AttachRolePolicyCommand({ RoleName: 'mr', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }));
  await fails(c.send(new AttachRolePolicyCommand({ RoleName: 'mr', PolicyArn: 'arn:aws:iam::000000000000:policy/none' })), 'NoSuchEntityException', 404, 'Policy arn:aws:iam::000000000000:policy/none does not exist or is not attachable.');
  const attached = (await c.send(new ListAttachedRolePoliciesCommand({ RoleName: 'mr' }))).AttachedPolicies!.map((x) => x.PolicyName).sort();
  assert.deepEqual(attached, ['AWSLambdaBasicExecutionRole', 'mp']);
  assert.equal((await c.send(new GetPolicyCommand({ PolicyArn: p.Arn! }))).Policy!.AttachmentCount, 1);
  const aws = (await c.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }))).Policy!;
  assert.equal(aws.Path, '/service-role/');
  const awsDoc = await c.send(new GetPolicyVersionCommand({ PolicyArn: aws.Arn!, VersionId: aws.DefaultVersionId! }));
  assert.deepEqual(JSON.parse(decodeURIComponent(awsDoc.PolicyVersion!.Document!)).Statement[0].Action, ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  const local = (await c.send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies!.map((x) => x.PolicyName);
  assert.ok(local.includes('mp') && !local.includes('AdministratorAccess'));
  const awsList = (await c.send(new ListPoliciesCommand({ Scope: 'AWS', MaxItems: 1000 }))).Policies!.map((x) => x.PolicyName);
  for (const n of ['AdministratorAccess', 'ReadOnlyAccess', 'AWSLambdaBasicExecutionRole', 'AWSLambdaSQSQueueExecutionRole', 'AmazonSQSFullAccess', 'AmazonS3FullAccess', 'AmazonDynamoDBFullAccess', 'AWSLambda_FullAccess'])
    assert.ok(awsList.includes(n), n);
  const onlyAttached = (await c.send(new ListPoliciesCommand({ OnlyAttached: true, Scope: 'All' }))).Policies!.map((x) => x.PolicyName);
  assert.ok(onlyAttached.includes('mp') && onlyAttached.includes('AWSLambdaBasicExecutionRole') && !onlyAttached.includes('AmazonS3FullAccess'));
  const ents = await c.send(new ListEntitiesForPolicyCommand({ PolicyArn: p.Arn! }));
  assert.deepEqual(ents.PolicyRoles!.map((x) => x.RoleName), ['mr']);
  await fails(c.send(new DeletePolicyCommand({ PolicyArn: p.Arn! })), 'DeleteConflictException', 409, 'Cannot delete a policy attached to entities.');
  await c.send(new DetachRolePolicyCommand({ RoleName: 'mr', PolicyArn: p.Arn! }));
  await fails(c.send(new DetachRolePolicyCommand({ RoleName: 'mr', PolicyArn: p.Arn! })), 'NoSuchEntityException', 404, `Policy ${p.Arn} was not found.`);
  await c.send(new DeletePolicyCommand({ PolicyArn: p.Arn! }));
  await fails(c.send(new GetPolicyCommand({ PolicyArn: p.Arn! })), 'NoSuchEntityException', 404, `Policy ${p.Arn} was not found.`);
});

test('IAM: a policy has at most 5 versions; the default one cannot be deleted, another can be made default, and versions block DeletePolicy', async () => {
  const c = iam();
  const arn = (await c.send(new CreatePolicyCommand({ PolicyName: 'versioned', PolicyDocument: doc('s3:GetObject') }))).Policy!.Arn!;
  for (let i = 2; i <= 5; i++) {
    const v = (await c.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc(`s3:Action${i}`), SetAsDefault: i === 3 }))).PolicyVersion!;
    assert.equal(v.VersionId, `v${i}`);
    assert.equal(v.IsDefaultVersion, i === 3);
  }
  await fails(c.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('s3:Six') })), 'LimitExceededException', 409,
    'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.');
  assert.equal((await c.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!.DefaultVersionId, 'v3');
  const v3 = (await c.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v3' }))).PolicyVersion!;
  assert.equal(decodeURIComponent(v3.Document!), doc('s3:Action3'));
  assert.equal(v3.IsDefaultVersion, true);
  await fails(c.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v3' })), 'DeleteConflictException', 409, 'Cannot delete the default version of a policy.');
  await c.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v5' }));
  await c.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v3' }));
  const six = (await c.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('s3:Six') }))).PolicyVersion!;
  assert.equal(six.VersionId, 'v6', 'version numbers are never reused');
  const listed = (await c.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions!;
  assert.deepEqual(listed.map((v) => v.VersionId), ['v6', 'v5', 'v4', 'v2', 'v1']);
  assert.deepEqual(listed.filter((v) => v.IsDefaultVersion).map((v) => v.VersionId), ['v5']);
  await fails(c.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v3' })), 'NoSuchEntityException', 404, /v3/);
  await fails(c.send(new DeletePolicyCommand({ PolicyArn: arn })), 'DeleteConflictException', 409, /must delete the policy's versions/);
  for (const v of ['v6', 'v4', 'v2', 'v1']) await c.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
  await c.send(new DeletePolicyCommand({ PolicyArn: arn }));
});

test('IAM: ListUsers pages with MaxItems and Marker, IsTruncated on all but the last page', async () => {
  const c = iam();
  const names = ['pg-a', 'pg-b', 'pg-c', 'pg-d', 'pg-e', 'pg-f', 'pg-g'];
  for (const n of names) await c.send(new CreateUserCommand({ UserName: n, Path: '/paged/' }));
  const seen: string[] = [];
  let marker: string | undefined;
  let pages = 0;
  do {
    const r = await c.send(new ListUsersCommand({ PathPrefix: '/paged/', MaxItems: 3, Marker: marker }));
    pages++;
    seen.push(...r.Users!.map((u) => u.UserName!));
    assert.equal(r.IsTruncated, r.Marker !== undefined);
    marker = r.Marker;
  } while (marker);
  assert.equal(pages, 3);
  assert.deepEqual(seen, names);
  await fails(c.send(new ListUsersCommand({ MaxItems: 0 })), 'ValidationError', 400, /Member must have value greater than or equal to 1$/);
});

test('IAM: GetUser without a name answers for the caller, and GetAccountAuthorizationDetails lists principals with their policies', async () => {
  const c = iam();
  const me = (await c.send(new GetUserCommand({}))).User!;
  assert.equal(me.Arn, 'arn:aws:iam::000000000000:root');
  await c.send(new CreateUserCommand({ UserName: 'gaad' }));
  await c.send(new PutUserPolicyCommand({ UserName: 'gaad', PolicyName: 'x', PolicyDocument: S3_ALL }));
  await c.send(new AttachUserPolicyCommand({ UserName: 'gaad', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSQSFullAccess' }));
  const d = await c.send(new GetAccountAuthorizationDetailsCommand({}));
  const u = d.UserDetailList!.find((x) => x.UserName === 'gaad')!;
  assert.equal(decodeURIComponent(u.UserPolicyList![0]!.PolicyDocument!), S3_ALL);
  assert.deepEqual(u.AttachedManagedPolicies, [{ PolicyName: 'AmazonSQSFullAccess', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSQSFullAccess' }]);
  const sqs = d.Policies!.find((x) => x.PolicyName === 'AmazonSQSFullAccess')!;
  assert.equal(sqs.PolicyVersionList!.length, 1);
  assert.ok(!d.Policies!.some((x) => x.PolicyName === 'AmazonS3FullAccess'), 'unattached AWS managed policies are left out');
  const onlyRoles = await c.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['Role'] }));
  assert.equal(onlyRoles.UserDetailList!.length, 0);
  await c.send(new DetachUserPolicyCommand({ UserName: 'gaad', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSQSFullAccess' }));
});

test('IAM: SimulatePrincipalPolicy decides from the user\'s own and its groups\' policies and its boundary; SimulateCustomPolicy from the given ones', async () => {
  const c = iam();
  await c.send(new CreateUserCommand({ UserName: 'sim' }));
  await c.send(new CreateGroupCommand({ GroupName: 'sim-g' }));
  await c.send(new AddUserToGroupCommand({ GroupName: 'sim-g', UserName: 'sim' }));
  await c.send(new PutUserPolicyCommand({ UserName: 'sim', PolicyName: 'all-s3', PolicyDocument: S3_ALL }));
  await c.send(new PutGroupPolicyCommand({ GroupName: 'sim-g', PolicyName: 'no-delete', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:Delete*', Resource: '*' }] }) }));
  const arn = 'arn:aws:iam::000000000000:user/sim';
  const run = async () => Object.fromEntries(((await c.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: arn, ActionNames: ['s3:GetObject', 's3:DeleteBucket', 'sqs:SendMessage'] }))).EvaluationResults!).map((r) => [r.EvalActionName, r.EvalDecision]));
  assert.deepEqual(await run(), { 's3:GetObject': 'allowed', 's3:DeleteBucket': 'explicitDeny', 'sqs:SendMessage': 'implicitDeny' });
  await c.send(new PutUserPermissionsBoundaryCommand({ UserName: 'sim', PermissionsBoundary: 'arn:aws:iam::aws:policy/AmazonSQSFullAccess' }));
  assert.deepEqual(await run(), { 's3:GetObject': 'implicitDeny', 's3:DeleteBucket': 'explicitDeny', 'sqs:SendMessage': 'implicitDeny' });
  await fails(c.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: 'arn:aws:iam::000000000000:user/nobody', ActionNames: ['s3:GetObject'] })), 'NoSuchEntityException', 404, 'The user with name nobody cannot be found.');
  const custom = await c.send(new SimulateCustomPolicyCommand({ PolicyInputList: [doc('sqs:*')], ActionNames: ['sqs:SendMessage', 'sns:Publish'], ResourceArns: ['arn:aws:sqs:us-east-1:000000000000:q'] }));
  assert.deepEqual(custom.EvaluationResults!.map((r) => [r.EvalActionName, r.EvalResourceName, r.EvalDecision]), [
    ['sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q', 'allowed'], ['sns:Publish', 'arn:aws:sqs:us-east-1:000000000000:q', 'implicitDeny']]);
});

test('IAM: users, keys, roles and policy versions survive kill -9', async () => {
  const first = await startServer();
  let second;
  try {
    const c = iamAt(first.url);
    await c.send(new CreateUserCommand({ UserName: 'durable' }));
    const key = (await c.send(new CreateAccessKeyCommand({ UserName: 'durable' }))).AccessKey!;
    await c.send(new CreateRoleCommand({ RoleName: 'durable-role', AssumeRolePolicyDocument: trust({ Service: 'lambda.amazonaws.com' }) }));
    const arn = (await c.send(new CreatePolicyCommand({ PolicyName: 'durable-p', PolicyDocument: S3_ALL }))).Policy!.Arn!;
    await c.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('sqs:*'), SetAsDefault: true }));
    await c.send(new AttachRolePolicyCommand({ RoleName: 'durable-role', PolicyArn: arn }));
    assert.equal((await first.stop('SIGKILL')).signal, 'SIGKILL');
    second = await startServer({ dataDir: first.dataDir });
    const d = iamAt(second.url);
    assert.equal((await d.send(new ListAccessKeysCommand({ UserName: 'durable' }))).AccessKeyMetadata![0]!.AccessKeyId, key.AccessKeyId);
    assert.equal((await d.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!.DefaultVersionId, 'v2');
    assert.deepEqual((await d.send(new ListAttachedRolePoliciesCommand({ RoleName: 'durable-role' }))).AttachedPolicies!.map((x) => x.PolicyArn), [arn]);
  } finally {
    await second?.stop();
    await first.stop();
    await removeServer(first);
  }
});
