// Compatibility: Lambda code signing with AWS Signer (driven by boto3): signing profiles and jobs, code signing
// configurations and their attachment, the deploy-time checks under Enforce and Warn (unsigned, foreign profile,
// tampered, revoked), and that configurations and attachments survive a restart, on either store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateCodeSigningConfigCommand,
  CreateFunctionCommand,
  DeleteCodeSigningConfigCommand,
  DeleteFunctionCodeSigningConfigCommand,
  DeleteFunctionCommand,
  GetCodeSigningConfigCommand,
  GetFunctionCodeSigningConfigCommand,
  GetFunctionConfigurationCommand,
  GetLayerVersionCommand,
  InvokeCommand,
  ListCodeSigningConfigsCommand,
  ListTagsCommand,
  TagResourceCommand,
  ListFunctionsByCodeSigningConfigCommand,
  PutFunctionCodeSigningConfigCommand,
  UpdateCodeSigningConfigCommand,
  PublishLayerVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { removeServer, ROOT, startServer, type Running } from '../helpers/server.js';
import { lambdaClient, ROLE } from '../helpers/lambda.js';
import { s3Client } from '../helpers/s3.js';
import { zip } from '../helpers/zip.js';

const run = promisify(execFile);
const BOTO = join(ROOT, 'test', 'helpers', 'boto3-calls.py');
const hasBoto3 = await run('python3', ['-c', 'import boto3']).then(() => true, () => false);

let server: Running;
let lambda: LambdaClient;
let s3: S3Client;

before(async () => {
  server = await startServer();
  lambda = lambdaClient(server.url);
  s3 = s3Client(server.url);
  await s3.send(new CreateBucketCommand({ Bucket: 'code-src' }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: 'code-src', VersioningConfiguration: { Status: 'Enabled' } }));
  await s3.send(new CreateBucketCommand({ Bucket: 'code-signed' }));
});
after(async () => {
  await server.stop();
  await removeServer(server);
});

type Answer = { ok?: any; error?: { code: string; message: string; status: number } };
async function boto(calls: { service: string; op: string; params?: unknown }[]): Promise<Answer[]> {
  const { stdout } = await run('python3', [BOTO, server.url, 'us-east-1', JSON.stringify(calls)], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as Answer[];
}
const signer = async (op: string, params: unknown = {}): Promise<Answer> => (await boto([{ service: 'signer', op, params }]))[0]!;
const errOf = (p: Promise<unknown>) => p.then(() => ({ name: 'no error', message: '' }), (e: { name: string; message: string }) => e);
const pkg = (text: string) => zip({ 'index.js': `exports.handler = async () => ${JSON.stringify(text)};` });

/** A profile's current version ARN (created on first use). */
async function profile(name: string): Promise<string> {
  const r = await signer('put_signing_profile', { profileName: name, platformId: 'AWSLambda-SHA384-ECDSA' });
  assert.ok(r.ok, JSON.stringify(r));
  return r.ok.profileVersionArn as string;
}

/** Signs a zip with a profile through a signing job (source versioned in S3); returns the signed bytes and the job. */
async function signed(profileName: string, code: Buffer): Promise<{ zip: Buffer; jobId: string }> {
  const put = await s3.send(new PutObjectCommand({ Bucket: 'code-src', Key: `${profileName}.zip`, Body: code }));
  const start = await signer('start_signing_job', {
    source: { s3: { bucketName: 'code-src', key: `${profileName}.zip`, version: put.VersionId } },
    destination: { s3: { bucketName: 'code-signed', prefix: 'out/' } },
    profileName,
  });
  assert.ok(start.ok, JSON.stringify(start));
  const job = (await signer('describe_signing_job', { jobId: start.ok.jobId })).ok;
  assert.equal(job.status, 'Succeeded', JSON.stringify(job));
  assert.deepEqual(job.signedObject, { s3: { bucketName: 'code-signed', key: `out/${start.ok.jobId}.zip` } });
  const obj = await s3.send(new GetObjectCommand({ Bucket: 'code-signed', Key: job.signedObject.s3.key }));
  return { zip: Buffer.from(await obj.Body!.transformToByteArray()), jobId: start.ok.jobId as string };
}

const config = async (arns: string[], policy: 'Warn' | 'Enforce') =>
  (await lambda.send(new CreateCodeSigningConfigCommand({ AllowedPublishers: { SigningProfileVersionArns: arns }, CodeSigningPolicies: { UntrustedArtifactOnDeployment: policy } }))).CodeSigningConfig!;
const create = (name: string, code: Buffer, csc?: string) =>
  lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: code }, ...(csc ? { CodeSigningConfigArn: csc } : {}) }));

test('Signer: PutSigningProfile makes an active Lambda profile with a version; Get, List, Cancel; other platforms refused', { skip: !hasBoto3 && 'boto3 missing' }, async () => {
  const versionArn = await profile('listed_profile');
  assert.match(versionArn, /^arn:aws:signer:us-east-1:000000000000:\/signing-profiles\/listed_profile\/[A-Za-z0-9]{10}$/);
  const got = (await signer('get_signing_profile', { profileName: 'listed_profile' })).ok;
  assert.equal(got.status, 'Active');
  assert.equal(got.platformId, 'AWSLambda-SHA384-ECDSA');
  assert.equal(got.profileVersionArn, versionArn);
  assert.deepEqual(got.signatureValidityPeriod, { value: 135, type: 'MONTHS' });
  await profile('listed_other');
  const [first, platforms, other, missing] = await boto([
    { service: 'signer', op: 'list_signing_profiles', params: { maxResults: 1 } },
    { service: 'signer', op: 'list_signing_platforms' },
    { service: 'signer', op: 'put_signing_profile', params: { profileName: 'notation', platformId: 'Notation-OCI-SHA384-ECDSA' } },
    { service: 'signer', op: 'get_signing_profile', params: { profileName: 'nope_nope' } },
  ]);
  assert.equal(first!.ok.profiles.length, 1);
  assert.ok(first!.ok.nextToken);
  assert.deepEqual(platforms!.ok.platforms.map((p: { platformId: string }) => p.platformId), ['AWSLambda-SHA384-ECDSA']);
  assert.equal(other!.error?.code, 'ValidationException');
  assert.match(other!.error!.message, /not supported on this server/);
  assert.equal(missing!.error?.code, 'ResourceNotFoundException');
  assert.equal(missing!.error?.status, 404);
  const rest = await signer('list_signing_profiles', { maxResults: 25, nextToken: first!.ok.nextToken });
  const names = [first!.ok.profiles[0].profileName, ...rest.ok.profiles.map((p: { profileName: string }) => p.profileName)];
  assert.ok(names.includes('listed_profile') && names.includes('listed_other'), names.join());
  const [tagged, tags, schedulerTags] = await boto([
    { service: 'signer', op: 'tag_resource', params: { resourceArn: got.arn, tags: { team: 'build' } } },
    { service: 'signer', op: 'list_tags_for_resource', params: { resourceArn: got.arn } },
    { service: 'scheduler', op: 'list_tags_for_resource', params: { ResourceArn: 'arn:aws:scheduler:us-east-1:000000000000:schedule-group/default' } },
  ]);
  assert.ok(tagged!.ok, JSON.stringify(tagged));
  assert.deepEqual(tags!.ok.tags, { team: 'build' });
  assert.ok(schedulerTags!.ok, `Scheduler keeps its own /tags/{arn}: ${JSON.stringify(schedulerTags)}`);
  assert.ok((await signer('cancel_signing_profile', { profileName: 'listed_other' })).ok);
  assert.equal((await signer('get_signing_profile', { profileName: 'listed_other' })).ok.status, 'Canceled');
  const active = (await signer('list_signing_profiles')).ok.profiles.map((p: { profileName: string }) => p.profileName);
  assert.ok(!active.includes('listed_other'));
  const withCanceled = (await signer('list_signing_profiles', { includeCanceled: true })).ok.profiles.map((p: { profileName: string }) => p.profileName);
  assert.ok(withCanceled.includes('listed_other'));
  const job = await signer('start_signing_job', {
    source: { s3: { bucketName: 'code-src', key: 'x.zip', version: 'v' } }, destination: { s3: { bucketName: 'code-signed' } }, profileName: 'listed_other',
  });
  assert.equal(job.error?.code, 'ValidationException', 'a canceled profile signs nothing');
});

test('Code signing configs: create, get, update, list with pagination; delete refused while a function uses one', async () => {
  const arn = 'arn:aws:signer:us-east-1:000000000000:/signing-profiles/p1/abcdefghij';
  const a = await config([arn], 'Warn');
  assert.match(a.CodeSigningConfigArn!, /^arn:aws:lambda:us-east-1:000000000000:code-signing-config:csc-[a-z0-9]{17}$/);
  assert.equal(a.CodeSigningConfigArn!.endsWith(a.CodeSigningConfigId!), true);
  assert.deepEqual(a.AllowedPublishers, { SigningProfileVersionArns: [arn] });
  assert.equal(a.Description, '');
  const defaulted = (await lambda.send(new CreateCodeSigningConfigCommand({ AllowedPublishers: { SigningProfileVersionArns: [arn] } }))).CodeSigningConfig!;
  assert.equal(defaulted.CodeSigningPolicies?.UntrustedArtifactOnDeployment, 'Warn');
  const got = (await lambda.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: a.CodeSigningConfigArn }))).CodeSigningConfig!;
  assert.deepEqual(got, a);
  await lambda.send(new TagResourceCommand({ Resource: a.CodeSigningConfigArn, Tags: { team: 'sec' } }));
  assert.deepEqual((await lambda.send(new ListTagsCommand({ Resource: a.CodeSigningConfigArn }))).Tags, { team: 'sec' });
  const up = (await lambda.send(new UpdateCodeSigningConfigCommand({ CodeSigningConfigArn: a.CodeSigningConfigArn, Description: 'strict', CodeSigningPolicies: { UntrustedArtifactOnDeployment: 'Enforce' } }))).CodeSigningConfig!;
  assert.equal(up.Description, 'strict');
  assert.equal(up.CodeSigningPolicies?.UntrustedArtifactOnDeployment, 'Enforce');
  assert.deepEqual(up.AllowedPublishers, a.AllowedPublishers);

  const seen: string[] = [];
  let marker: string | undefined;
  do {
    const page = await lambda.send(new ListCodeSigningConfigsCommand({ MaxItems: 1, ...(marker ? { Marker: marker } : {}) }));
    assert.ok((page.CodeSigningConfigs ?? []).length <= 1);
    seen.push(...(page.CodeSigningConfigs ?? []).map((c) => c.CodeSigningConfigArn!));
    marker = page.NextMarker;
  } while (marker);
  assert.ok(seen.includes(a.CodeSigningConfigArn!) && seen.includes(defaulted.CodeSigningConfigArn!));
  assert.equal(new Set(seen).size, seen.length);

  await create('csc-user', await pkg('x'));
  await lambda.send(new PutFunctionCodeSigningConfigCommand({ FunctionName: 'csc-user', CodeSigningConfigArn: defaulted.CodeSigningConfigArn }));
  const users = await lambda.send(new ListFunctionsByCodeSigningConfigCommand({ CodeSigningConfigArn: defaulted.CodeSigningConfigArn }));
  assert.deepEqual(users.FunctionArns, ['arn:aws:lambda:us-east-1:000000000000:function:csc-user']);
  const inUse = await errOf(lambda.send(new DeleteCodeSigningConfigCommand({ CodeSigningConfigArn: defaulted.CodeSigningConfigArn })));
  assert.equal(inUse.name, 'ResourceConflictException');
  await lambda.send(new DeleteFunctionCodeSigningConfigCommand({ FunctionName: 'csc-user' }));
  assert.equal((await lambda.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: 'csc-user' }))).CodeSigningConfigArn, '');
  await lambda.send(new DeleteCodeSigningConfigCommand({ CodeSigningConfigArn: defaulted.CodeSigningConfigArn }));
  const gone = await errOf(lambda.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: defaulted.CodeSigningConfigArn })));
  assert.equal(gone.name, 'ResourceNotFoundException');
  const attachGone = await errOf(lambda.send(new PutFunctionCodeSigningConfigCommand({ FunctionName: 'csc-user', CodeSigningConfigArn: defaulted.CodeSigningConfigArn })));
  assert.equal(attachGone.name, 'CodeSigningConfigNotFoundException');
  const createGone = await errOf(create('csc-never', await pkg('x'), defaulted.CodeSigningConfigArn));
  assert.equal(createGone.name, 'CodeSigningConfigNotFoundException');
});

test('Enforce: an unsigned package is refused; one signed by an allowed profile deploys and shows its signer; tampered and foreign ones are refused', { skip: !hasBoto3 && 'boto3 missing' }, async () => {
  const allowed = await profile('enforce_allowed');
  await profile('enforce_foreign');
  const csc = (await config([allowed], 'Enforce')).CodeSigningConfigArn!;
  const unsigned = await errOf(create('enforced', await pkg('unsigned'), csc));
  assert.equal(unsigned.name, 'CodeVerificationFailedException');
  assert.match(unsigned.message, /^Lambda cannot deploy the function\. The function or layer might be signed using a signature that the client is not configured to accept\./);

  const good = await signed('enforce_allowed', await pkg('v1'));
  const created = await create('enforced', good.zip, csc);
  assert.equal(created.SigningProfileVersionArn, allowed);
  assert.equal(created.SigningJobArn, `arn:aws:signer:us-east-1:000000000000:/signing-jobs/${good.jobId}`);
  assert.equal((await lambda.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: 'enforced' }))).CodeSigningConfigArn, csc);
  const out = await lambda.send(new InvokeCommand({ FunctionName: 'enforced' }));
  assert.equal(Buffer.from(out.Payload!).toString(), '"v1"', 'the signed package runs as it was zipped');

  // One byte of the signed package changed after signing: the integrity check fails.
  const tampered = Buffer.from(good.zip);
  const at = tampered.indexOf('v1');
  tampered[at + 1] = '2'.charCodeAt(0);
  const broken = await errOf(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'enforced', ZipFile: tampered })));
  assert.equal(broken.name, 'InvalidCodeSignatureException');

  const foreign = await signed('enforce_foreign', await pkg('v3'));
  const mismatch = await errOf(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'enforced', ZipFile: foreign.zip })));
  assert.equal(mismatch.name, 'CodeVerificationFailedException');
  const cfg = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'enforced' }));
  assert.equal(cfg.CodeSha256, created.CodeSha256, 'a refused package leaves the deployed code as it was');

  // boto3 sees AWS's codes and statuses too.
  const [b] = await boto([{ service: 'lambda', op: 'update_function_code', params: { FunctionName: 'enforced', ZipFile: { $b64: (await pkg('boto')).toString('base64') } } }]);
  assert.equal(b!.error?.code, 'CodeVerificationFailedException');
  assert.equal(b!.error?.status, 400);
});

test('Warn: unsigned and foreign packages deploy (with a warning in the log); a tampered one is refused all the same', { skip: !hasBoto3 && 'boto3 missing' }, async () => {
  const allowed = await profile('warn_allowed');
  const csc = (await config([allowed], 'Warn')).CodeSigningConfigArn!;
  const made = await create('warned', await pkg('unsigned'), csc);
  assert.equal(made.SigningProfileVersionArn, undefined);
  assert.match(server.output(), /code signing \(Warn\) for function warned in us-east-1: the code package is not signed/);
  await profile('warn_foreign');
  const foreign = await signed('warn_foreign', await pkg('w0'));
  const deployed = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'warned', ZipFile: foreign.zip }));
  assert.match(server.output(), /code signing \(Warn\) for function warned in us-east-1: the signing profile version \S+warn_foreign\/\S+ is not an allowed publisher/);
  assert.equal(deployed.CodeSha256 !== made.CodeSha256, true);
  const good = await signed('warn_allowed', await pkg('w1'));
  const up = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'warned', ZipFile: good.zip }));
  assert.equal(up.SigningProfileVersionArn, allowed);
  const tampered = Buffer.from(good.zip);
  tampered[tampered.indexOf('w1') + 1] = '9'.charCodeAt(0);
  assert.equal((await errOf(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'warned', ZipFile: tampered })))).name, 'InvalidCodeSignatureException');
  const back = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'warned', ZipFile: await pkg('plain again') }));
  assert.equal(back.SigningProfileVersionArn, undefined, 'an unsigned package drops the previous signer');
});

test('Layers: a function with an Enforce configuration may add only layers signed by an allowed publisher; the layer shows its signer', { skip: !hasBoto3 && 'boto3 missing' }, async () => {
  const allowed = await profile('layer_allowed');
  const csc = (await config([allowed], 'Enforce')).CodeSigningConfigArn!;
  const layerZip = await zip({ 'nodejs/node_modules/greet/index.js': 'module.exports = () => "hi";' });
  const plain = await lambda.send(new PublishLayerVersionCommand({ LayerName: 'unsigned-layer', Content: { ZipFile: layerZip } }));
  assert.equal(plain.Content?.SigningProfileVersionArn, undefined);
  const signedLayer = await signed('layer_allowed', layerZip);
  const good = await lambda.send(new PublishLayerVersionCommand({ LayerName: 'signed-layer', Content: { ZipFile: signedLayer.zip } }));
  assert.equal(good.Content?.SigningProfileVersionArn, allowed);
  assert.equal(good.Content?.SigningJobArn, `arn:aws:signer:us-east-1:000000000000:/signing-jobs/${signedLayer.jobId}`);
  assert.equal((await lambda.send(new GetLayerVersionCommand({ LayerName: 'signed-layer', VersionNumber: good.Version }))).Content?.SigningProfileVersionArn, allowed);

  const fnCode = (await signed('layer_allowed', await pkg('with layers'))).zip;
  const refused = await errOf(
    lambda.send(new CreateFunctionCommand({ FunctionName: 'layered', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: fnCode }, CodeSigningConfigArn: csc, Layers: [plain.LayerVersionArn!] })),
  );
  assert.equal(refused.name, 'CodeVerificationFailedException');
  await lambda.send(new CreateFunctionCommand({ FunctionName: 'layered', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: fnCode }, CodeSigningConfigArn: csc, Layers: [good.LayerVersionArn!] }));
  const adding = await errOf(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'layered', Layers: [good.LayerVersionArn!, plain.LayerVersionArn!] })));
  assert.equal(adding.name, 'CodeVerificationFailedException');
  const kept = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'layered', Layers: [good.LayerVersionArn!], Description: 'same layers' }));
  assert.deepEqual(kept.Layers?.map((l) => l.Arn), [good.LayerVersionArn]);
});

test('Revocation: a revoked signature (RevokeSignature) or profile (RevokeSigningProfile) no longer deploys under Enforce', { skip: !hasBoto3 && 'boto3 missing' }, async () => {
  const allowed = await profile('revoking');
  const csc = (await config([allowed], 'Enforce')).CodeSigningConfigArn!;
  const first = await signed('revoking', await pkg('r1'));
  await create('revoked-fn', first.zip, csc);
  assert.ok((await signer('revoke_signature', { jobId: first.jobId, reason: 'leaked' })).ok);
  const job = (await signer('describe_signing_job', { jobId: first.jobId })).ok;
  assert.equal(job.revocationRecord.reason, 'leaked');
  const again = await errOf(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'revoked-fn', ZipFile: first.zip })));
  assert.equal(again.name, 'CodeVerificationFailedException');
  const second = await signed('revoking', await pkg('r2'));
  await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'revoked-fn', ZipFile: second.zip }));
  const version = allowed.split('/').pop();
  const rp = await signer('revoke_signing_profile', { profileName: 'revoking', profileVersion: version, reason: 'compromised', effectiveTime: '2000-01-01T00:00:00Z' });
  assert.ok(rp.ok, JSON.stringify(rp));
  assert.equal((await signer('get_signing_profile', { profileName: 'revoking' })).ok.status, 'Revoked');
  assert.equal((await errOf(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'revoked-fn', ZipFile: second.zip })))).name, 'CodeVerificationFailedException');
});

test('Code signing: configurations and attachments survive a restart; deleting a function detaches its configuration', { skip: !hasBoto3 && 'boto3 missing' }, async () => {
  const allowed = await profile('durable_profile');
  const csc = (await config([allowed], 'Enforce')).CodeSigningConfigArn!;
  const good = await signed('durable_profile', await pkg('d1'));
  await create('durable-signed', good.zip, csc);
  await server.stop('SIGKILL');
  server = await startServer({ dataDir: server.dataDir });
  lambda = lambdaClient(server.url);
  s3 = s3Client(server.url);
  assert.equal((await lambda.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: 'durable-signed' }))).CodeSigningConfigArn, csc);
  assert.equal((await lambda.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: csc }))).CodeSigningConfig?.CodeSigningPolicies?.UntrustedArtifactOnDeployment, 'Enforce');
  assert.equal((await errOf(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'durable-signed', ZipFile: await pkg('unsigned') })))).name, 'CodeVerificationFailedException');
  // The profile's key survived too: a new signature by it still verifies.
  const next = await signed('durable_profile', await pkg('d2'));
  assert.equal((await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'durable-signed', ZipFile: next.zip }))).SigningProfileVersionArn, allowed);
  await lambda.send(new DeleteFunctionCommand({ FunctionName: 'durable-signed' }));
  await create('durable-signed', await pkg('plain'));
  assert.equal((await lambda.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: 'durable-signed' }))).CodeSigningConfigArn, '');
  assert.deepEqual((await lambda.send(new ListFunctionsByCodeSigningConfigCommand({ CodeSigningConfigArn: csc }))).FunctionArns, []);
});
