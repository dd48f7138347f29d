// KMS against a live server, driven by the aws CLI v1 and boto3 (no @aws-sdk/client-kms here).
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { awsCli } from '../helpers/aws-cli.js';
import { liveServer, removeServer, startServer } from '../helpers/server.js';

const server = liveServer();
const kms = (...args: string[]) => awsCli(1, server().url, ['kms', ...args]);

function boto(url: string, code: string): Promise<string> {
  const script = `import boto3, json, base64\nc = boto3.client('kms', endpoint_url='${url}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')\n${code}`;
  return new Promise((res, rej) => execFile('python3', ['-c', script], (e, out, err) => (e ? rej(new Error(err)) : res(out.trim()))));
}

test('KMS: CreateKey makes an enabled SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key with the default policy', async () => {
  const r = await kms('create-key', '--description', 'd1');
  assert.equal(r.code, 0, r.stderr);
  const m = r.json().KeyMetadata;
  assert.equal(m.KeySpec, 'SYMMETRIC_DEFAULT');
  assert.equal(m.KeyUsage, 'ENCRYPT_DECRYPT');
  assert.equal(m.KeyState, 'Enabled');
  assert.match(m.Arn, /^arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f-]{36}$/);
  const p = JSON.parse((await kms('get-key-policy', '--key-id', m.KeyId, '--policy-name', 'default')).json().Policy);
  assert.equal(p.Statement[0].Principal.AWS, 'arn:aws:iam::000000000000:root');
  const list = (await kms('list-keys')).json().Keys.map((k: { KeyId: string }) => k.KeyId);
  assert.ok(list.includes(m.KeyId));
});

test('KMS: Decrypt needs no KeyId, binds the encryption context, and names a wrong key or a disabled one as AWS does', async () => {
  const out = await boto(server().url, `
k = c.create_key()['KeyMetadata']['KeyId']
k2 = c.create_key()['KeyMetadata']['KeyId']
ct = c.encrypt(KeyId=k, Plaintext=b'hello', EncryptionContext={'a': '1'})['CiphertextBlob']
r = {'pt': c.decrypt(CiphertextBlob=ct, EncryptionContext={'a': '1'})['Plaintext'].decode()}
def err(f):
    try:
        f(); return None
    except c.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
r['noctx'] = err(lambda: c.decrypt(CiphertextBlob=ct))
r['wrong'] = err(lambda: c.decrypt(CiphertextBlob=ct, KeyId=k2, EncryptionContext={'a': '1'}))
r['garbage'] = err(lambda: c.decrypt(CiphertextBlob=b'x' * 80))
c.disable_key(KeyId=k)
r['disabled'] = err(lambda: c.encrypt(KeyId=k, Plaintext=b'x'))
r['arn'] = 'arn:aws:kms:us-east-1:000000000000:key/' + k
c.enable_key(KeyId=k)
c.schedule_key_deletion(KeyId=k, PendingWindowInDays=7)
r['state'] = c.describe_key(KeyId=k)['KeyMetadata']['KeyState']
r['pending'] = err(lambda: c.decrypt(CiphertextBlob=ct, EncryptionContext={'a': '1'}))
r['window'] = err(lambda: c.schedule_key_deletion(KeyId=k2, PendingWindowInDays=6))
c.cancel_key_deletion(KeyId=k)
r['after'] = c.describe_key(KeyId=k)['KeyMetadata']['KeyState']
print(json.dumps(r))`);
  const r = JSON.parse(out);
  assert.equal(r.pt, 'hello');
  assert.equal(r.noctx[0], 'InvalidCiphertextException');
  assert.deepEqual(r.wrong, ['IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.']);
  assert.equal(r.garbage[0], 'InvalidCiphertextException');
  assert.deepEqual(r.disabled, ['DisabledException', `${r.arn} is disabled.`]);
  assert.equal(r.state, 'PendingDeletion');
  assert.deepEqual(r.pending, ['KMSInvalidStateException', `${r.arn} is pending deletion.`]);
  assert.equal(r.window[0], 'ValidationException');
  assert.equal(r.after, 'Disabled');
});

test('KMS: aliases resolve for Encrypt, alias/aws/ names are reserved, data keys decrypt to their plaintext', async () => {
  const out = await boto(server().url, `
k = c.create_key()['KeyMetadata']['KeyId']
k2 = c.create_key()['KeyMetadata']['KeyId']
c.create_alias(AliasName='alias/app', TargetKeyId=k)
r = {}
def err(f):
    try:
        f(); return None
    except c.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
r['dup'] = err(lambda: c.create_alias(AliasName='alias/app', TargetKeyId=k2))
r['reserved'] = err(lambda: c.create_alias(AliasName='alias/aws/x', TargetKeyId=k))
r['enc_key'] = c.encrypt(KeyId='alias/app', Plaintext=b'p')['KeyId']
c.update_alias(AliasName='alias/app', TargetKeyId=k2)
r['target'] = [a['TargetKeyId'] for a in c.list_aliases()['Aliases'] if a['AliasName'] == 'alias/app']
dk = c.generate_data_key(KeyId='alias/app', KeySpec='AES_256')
r['dklen'] = len(dk['Plaintext'])
r['dkok'] = c.decrypt(CiphertextBlob=dk['CiphertextBlob'])['Plaintext'] == dk['Plaintext']
w = c.generate_data_key_without_plaintext(KeyId=k, NumberOfBytes=16)
r['wlen'] = len(c.decrypt(CiphertextBlob=w['CiphertextBlob'])['Plaintext'])
re = c.re_encrypt(CiphertextBlob=dk['CiphertextBlob'], DestinationKeyId=k)
r['re'] = c.decrypt(CiphertextBlob=re['CiphertextBlob'])['Plaintext'] == dk['Plaintext']
r['rand'] = len(c.generate_random(NumberOfBytes=24)['Plaintext'])
c.delete_alias(AliasName='alias/app')
r['gone'] = err(lambda: c.encrypt(KeyId='alias/app', Plaintext=b'p'))
r['k'] = k; r['k2'] = k2
g = c.create_grant(KeyId=k, GranteePrincipal='arn:aws:iam::000000000000:role/x', Operations=['Decrypt'])
r['grants'] = [x['GrantId'] for x in c.list_grants(KeyId=k)['Grants']] == [g['GrantId']]
c.revoke_grant(KeyId=k, GrantId=g['GrantId'])
r['grants_after'] = len(c.list_grants(KeyId=k)['Grants'])
c.tag_resource(KeyId=k, Tags=[{'TagKey': 't', 'TagValue': 'v'}])
r['tags'] = c.list_resource_tags(KeyId=k)['Tags']
c.enable_key_rotation(KeyId=k)
r['rot'] = c.get_key_rotation_status(KeyId=k)['KeyRotationEnabled']
print(json.dumps(r))`);
  const r = JSON.parse(out);
  assert.equal(r.dup[0], 'AlreadyExistsException');
  assert.equal(r.dup[1], 'An alias with the name arn:aws:kms:us-east-1:000000000000:alias/app already exists');
  assert.equal(r.reserved[0], 'NotAuthorizedException');
  assert.ok(r.enc_key.endsWith(r.k));
  assert.deepEqual(r.target, [r.k2]);
  assert.equal(r.dklen, 32);
  assert.equal(r.dkok, true);
  assert.equal(r.wlen, 16);
  assert.equal(r.re, true);
  assert.equal(r.rand, 24);
  assert.deepEqual(r.gone, ['NotFoundException', 'Alias arn:aws:kms:us-east-1:000000000000:alias/app is not found.']);
  assert.equal(r.grants, true);
  assert.equal(r.grants_after, 0);
  assert.deepEqual(r.tags, [{ TagKey: 't', TagValue: 'v' }]);
  assert.equal(r.rot, true);
});

test('KMS: the master key file (0600) survives kill -9, ciphertexts decrypt after restart, a different master key is refused', async () => {
  let s = await startServer();
  const dataDir = s.dataDir;
  try {
    const enc = await boto(s.url, `k = c.create_key()['KeyMetadata']['KeyId']\nprint(base64.b64encode(c.encrypt(KeyId=k, Plaintext=b'durable')['CiphertextBlob']).decode())`);
    const mode = statSync(join(dataDir, 'kms-master.key')).mode & 0o777;
    assert.equal(mode, 0o600);
    await s.stop('SIGKILL');
    s = await startServer({ dataDir });
    const pt = await boto(s.url, `print(c.decrypt(CiphertextBlob=base64.b64decode('${enc}'))['Plaintext'].decode())`);
    assert.equal(pt, 'durable');
    await s.stop();
    await assert.rejects(startServer({ dataDir, args: ['--kms-master-key-file', join(dataDir, 'other.key')] }), /different master key/);
  } finally {
    await s.stop();
    await removeServer({ dataDir });
  }
});
