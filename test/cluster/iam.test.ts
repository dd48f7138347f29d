// Cluster: two nodes on one PostgreSQL share IAM and STS: what one node writes the other answers at once, and keys
// and sessions made on one node sign requests on the other.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, GetRoleCommand, IAMClient, ListAccessKeysCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { pgUnavailable } from '../helpers/pg.js';
import { startCluster, type Cluster } from '../helpers/server.js';

const skip = await pgUnavailable();
type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
const TEST: Creds = { accessKeyId: 'test', secretAccessKey: 'test' };
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '000000000000' }, Action: 'sts:AssumeRole' }] });
describe('IAM cluster (two nodes on one PostgreSQL)', { skip }, () => {
  let cluster: Cluster;
  const iam = (i: number, credentials: Creds = TEST) => new IAMClient({ endpoint: cluster.nodes[i]!.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  const sts = (i: number, credentials: Creds = TEST) => new STSClient({ endpoint: cluster.nodes[i]!.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  before(async () => {
    cluster = await startCluster(2);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('IAM cluster: a user, key and role made on one node are there on the other at once, and an AssumeRole there records the role\'s use', async () => {
    await iam(0).send(new CreateUserCommand({ UserName: 'shared' }));
    const k = (await iam(0).send(new CreateAccessKeyCommand({ UserName: 'shared' }))).AccessKey!;
    assert.equal((await iam(1).send(new ListAccessKeysCommand({ UserName: 'shared' }))).AccessKeyMetadata![0]!.AccessKeyId, k.AccessKeyId);
    const role = (await iam(1).send(new CreateRoleCommand({ RoleName: 'shared-role', AssumeRolePolicyDocument: TRUST }))).Role!;
    const r = await sts(0).send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'x-node' }));
    assert.match(r.Credentials!.AccessKeyId!, /^ASIA/);
    assert.ok((await iam(1).send(new GetRoleCommand({ RoleName: 'shared-role' }))).Role!.RoleLastUsed?.LastUsedDate instanceof Date);
  });

  test('IAM cluster: a key made on one node signs on the other at once, and stops working there within seconds of being made Inactive', async () => {
    await iam(0).send(new CreateUserCommand({ UserName: 'signer' }));
    const k = (await iam(0).send(new CreateAccessKeyCommand({ UserName: 'signer' }))).AccessKey!;
    const creds = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    assert.equal((await sts(1, creds).send(new GetCallerIdentityCommand({}))).Arn, 'arn:aws:iam::000000000000:user/signer');
    await iam(0).send(new UpdateAccessKeyCommand({ UserName: 'signer', AccessKeyId: k.AccessKeyId!, Status: 'Inactive' }));
    const until = Date.now() + 6_000;
    let refused = false;
    while (!refused && Date.now() < until) {
      refused = await sts(1, creds).send(new GetCallerIdentityCommand({})).then(() => false, () => true);
      if (!refused) await new Promise((res) => setTimeout(res, 250));
    }
    assert.ok(refused, 'an Inactive key is refused on the other node within the cache bound');
    const role = (await iam(0).send(new CreateRoleCommand({ RoleName: 'signer-role', AssumeRolePolicyDocument: TRUST }))).Role!;
    const s = (await sts(0).send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'sess' }))).Credentials!;
    const as = await sts(1, { accessKeyId: s.AccessKeyId!, secretAccessKey: s.SecretAccessKey!, sessionToken: s.SessionToken! }).send(new GetCallerIdentityCommand({}));
    assert.equal(as.Arn, 'arn:aws:sts::000000000000:assumed-role/signer-role/sess');
  });
});
