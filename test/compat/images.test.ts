// Container-image functions end to end: an OCI image built in the test, pushed with skopeo to the registry on the
// shared endpoint, seen through the ECR API (aws CLI v1, boto3), run as a Lambda function (@aws-sdk/client-lambda).
import { strict as assert } from 'node:assert';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { CreateFunctionCommand, GetFunctionCommand, InvokeCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { awsCli } from '../helpers/aws-cli.js';
import { buildNodeImage, type OciLayout } from '../helpers/oci-image.js';
import { removeServer, startServer, type Running } from '../helpers/server.js';

const ROLE = 'arn:aws:iam::000000000000:role/image-fn';
const REPO = 'hello/node';

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'image functions need Linux (bubblewrap sandbox)';
  if (spawnSync('skopeo', ['--version']).status !== 0) return 'skopeo is not installed (apt-get install skopeo)';
  if (!existsSync('/usr/bin/bwrap')) return 'bubblewrap is not installed (apt-get install bubblewrap)';
  return undefined;
}

let skip = skipReason();
let s: Running | undefined;
let image: OciLayout | undefined;
const host = (): string => s!.url.replace(/^http:\/\//, '');
const lambda = (): LambdaClient => new LambdaClient({ endpoint: s!.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
const ecr = (...args: string[]) => awsCli(1, s!.url, ['ecr', ...args]);

function run(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => execFile(cmd, args, { maxBuffer: 1 << 26 }, (e, out, err) => resolve({ code: e ? 1 : 0, out, err })));
}

function boto(code: string): Promise<string> {
  const script = `import boto3, json, base64, hashlib\nc = boto3.client('ecr', endpoint_url='${s!.url}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')\n${code}`;
  return new Promise((res, rej) => execFile('python3', ['-c', script], (e, out, err) => (e ? rej(new Error(err)) : res(out.trim()))));
}

const push = (tag: string, repo = REPO, creds: string[] = []) =>
  run('skopeo', ['copy', '--insecure-policy', '--dest-tls-verify=false', ...creds, `oci:${image!.dir}:${image!.tag}`, `docker://${host()}/${repo}:${tag}`]);

before(async () => {
  if (skip) return;
  s = await startServer({ args: ['--isolation', 'sandbox'] });
  image = buildNodeImage();
  const made = await ecr('create-repository', '--repository-name', REPO);
  assert.equal(made.code, 0, made.stderr);
  const p = await push('v1');
  assert.equal(p.code, 0, p.err);
});
after(async () => {
  image?.remove();
  if (!s) return;
  await s.stop();
  await removeServer(s);
});

const payload = (b: Uint8Array | undefined): Record<string, unknown> => JSON.parse(Buffer.from(b ?? []).toString('utf8')) as Record<string, unknown>;

test('ECR: an image pushed with skopeo is listed by DescribeImages, ListImages and the aws CLI, and skopeo inspect reads it back', { skip }, async () => {
  const repos = await ecr('describe-repositories');
  assert.equal(repos.code, 0, repos.stderr);
  const repo = repos.json().repositories.find((r: { repositoryName: string }) => r.repositoryName === REPO);
  assert.equal(repo.repositoryUri, `${host()}/${REPO}`);
  assert.equal(repo.repositoryArn, `arn:aws:ecr:us-east-1:000000000000:repository/${REPO}`);
  const images = (await ecr('describe-images', '--repository-name', REPO)).json().imageDetails;
  assert.equal(images.length, 1);
  assert.deepEqual(images[0].imageTags, ['v1']);
  assert.match(images[0].imageDigest, /^sha256:[0-9a-f]{64}$/);
  assert.ok(images[0].imageSizeInBytes > 1_000_000);
  const ids = (await ecr('list-images', '--repository-name', REPO)).json().imageIds;
  assert.deepEqual(ids, [{ imageDigest: images[0].imageDigest, imageTag: 'v1' }]);
  const got = (await ecr('batch-get-image', '--repository-name', REPO, '--image-ids', 'imageTag=v1', 'imageTag=nope')).json();
  assert.equal(got.images[0].imageId.imageDigest, images[0].imageDigest);
  assert.equal(JSON.parse(got.images[0].imageManifest).schemaVersion, 2);
  assert.equal(got.failures[0].failureCode, 'ImageNotFound');
  const inspect = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${host()}/${REPO}:v1`]);
  assert.equal(inspect.code, 0, inspect.err);
  const info = JSON.parse(inspect.out) as { Digest: string; RepoTags: string[]; Env: string[]; Layers: string[] };
  assert.equal(info.Digest, images[0].imageDigest);
  assert.deepEqual(info.RepoTags, ['v1']);
  assert.ok(info.Env.includes('GREETING=from-image'));
  assert.equal(info.Layers.length, 3);
});

test('Registry: /v2/ answers with the distribution API version, unknown manifests and blobs in the registry error format', { skip }, async () => {
  const base = await fetch(`${s!.url}/v2/`);
  assert.equal(base.status, 200);
  assert.equal(base.headers.get('docker-distribution-api-version'), 'registry/2.0');
  const m = await fetch(`${s!.url}/v2/${REPO}/manifests/nope`);
  assert.equal(m.status, 404);
  assert.equal(((await m.json()) as { errors: { code: string }[] }).errors[0]!.code, 'MANIFEST_UNKNOWN');
  const b = await fetch(`${s!.url}/v2/${REPO}/blobs/sha256:${'0'.repeat(64)}`, { method: 'HEAD' });
  assert.equal(b.status, 404);
  const n = await fetch(`${s!.url}/v2/no/such/manifests/v1`);
  assert.equal(((await n.json()) as { errors: { code: string }[] }).errors[0]!.code, 'NAME_UNKNOWN');
  const tags = (await (await fetch(`${s!.url}/v2/${REPO}/tags/list`)).json()) as { tags: string[] };
  assert.deepEqual(tags.tags, ['v1']);
});

test('ECR: layer uploads, BatchCheckLayerAvailability, PutImage and GetDownloadUrlForLayer through boto3; a cross-mount needs no upload', { skip }, async () => {
  const out = await boto(`
c.create_repository(repositoryName='parts')
data = b'layer-bytes-' * 1000
digest = 'sha256:' + hashlib.sha256(data).hexdigest()
u = c.initiate_layer_upload(repositoryName='parts')['uploadId']
r1 = c.upload_layer_part(repositoryName='parts', uploadId=u, partFirstByte=0, partLastByte=5999, layerPartBlob=data[:6000])
r2 = c.upload_layer_part(repositoryName='parts', uploadId=u, partFirstByte=6000, partLastByte=len(data)-1, layerPartBlob=data[6000:])
done = c.complete_layer_upload(repositoryName='parts', uploadId=u, layerDigests=[digest])
cfg = b'{"architecture":"amd64","os":"linux","config":{}}'
cd = 'sha256:' + hashlib.sha256(cfg).hexdigest()
u2 = c.initiate_layer_upload(repositoryName='parts')['uploadId']
c.upload_layer_part(repositoryName='parts', uploadId=u2, partFirstByte=0, partLastByte=len(cfg)-1, layerPartBlob=cfg)
c.complete_layer_upload(repositoryName='parts', uploadId=u2, layerDigests=[cd])
avail = c.batch_check_layer_availability(repositoryName='parts', layerDigests=[digest, 'sha256:' + '1'*64])
manifest = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.docker.distribution.manifest.v2+json',
  'config': {'mediaType': 'application/vnd.docker.container.image.v1+json', 'digest': cd, 'size': len(cfg)},
  'layers': [{'mediaType': 'application/vnd.docker.image.rootfs.diff.tar.gzip', 'digest': digest, 'size': len(data)}]})
img = c.put_image(repositoryName='parts', imageManifest=manifest, imageTag='t1')['image']
try:
  c.put_image(repositoryName='parts', imageManifest=manifest, imageTag='t1'); again = None
except c.exceptions.ImageAlreadyExistsException as e:
  again = e.response['Error']['Code']
missing = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.docker.distribution.manifest.v2+json',
  'config': {'mediaType': 'application/vnd.docker.container.image.v1+json', 'digest': 'sha256:' + '2'*64, 'size': 1}, 'layers': []})
try:
  c.put_image(repositoryName='parts', imageManifest=missing, imageTag='t2'); bad = None
except c.exceptions.LayersNotFoundException as e:
  bad = e.response['Error']['Code']
url = c.get_download_url_for_layer(repositoryName='parts', layerDigest=digest)['downloadUrl']
print(json.dumps({'last': [r1['lastByteReceived'], r2['lastByteReceived']], 'done': done['layerDigest'] == digest,
  'avail': [l['layerAvailability'] for l in avail['layers']], 'fail': [f['failureCode'] for f in avail['failures']],
  'tag': img['imageId']['imageTag'], 'again': again, 'bad': bad, 'url': url, 'digest': digest, 'size': len(data)}))
`);
  const r = JSON.parse(out) as { last: number[]; done: boolean; avail: string[]; fail: string[]; tag: string; again: string; bad: string; url: string; digest: string; size: number };
  assert.deepEqual(r.last, [5999, r.size - 1]);
  assert.equal(r.done, true);
  assert.deepEqual(r.avail, ['AVAILABLE']);
  assert.deepEqual(r.fail, ['MissingLayerDigest']);
  assert.equal(r.tag, 't1');
  assert.equal(r.again, 'ImageAlreadyExistsException');
  assert.equal(r.bad, 'LayersNotFoundException');
  const blob = await fetch(r.url);
  assert.equal(blob.status, 200);
  assert.equal((await blob.arrayBuffer()).byteLength, r.size);
  // Another repository mounts the blob from this one: 201 at once, no upload.
  assert.equal((await ecr('create-repository', '--repository-name', 'mounted')).code, 0);
  const mount = await fetch(`${s!.url}/v2/mounted/blobs/uploads/?mount=${r.digest}&from=parts`, { method: 'POST' });
  assert.equal(mount.status, 201);
  assert.equal(mount.headers.get('docker-content-digest'), r.digest);
  assert.equal((await fetch(`${s!.url}/v2/mounted/blobs/${r.digest}`, { method: 'HEAD' })).status, 200);
});

test('ECR: errors as AWS answers them: an existing repository, a missing one, a missing image, deleting a repository with images', { skip }, async () => {
  const again = await ecr('create-repository', '--repository-name', REPO);
  assert.match(again.stderr, /RepositoryAlreadyExistsException/);
  assert.match(again.stderr, /The repository with name 'hello\/node' already exists in the registry with id '000000000000'/);
  const none = await ecr('describe-images', '--repository-name', 'nope');
  assert.match(none.stderr, /RepositoryNotFoundException/);
  const img = await ecr('describe-images', '--repository-name', REPO, '--image-ids', 'imageTag=missing');
  assert.match(img.stderr, /ImageNotFoundException/);
  assert.equal((await ecr('create-repository', '--repository-name', 'doomed')).code, 0);
  assert.equal((await push('x', 'doomed')).code, 0);
  const notEmpty = await ecr('delete-repository', '--repository-name', 'doomed');
  assert.match(notEmpty.stderr, /RepositoryNotEmptyException/);
  const forced = await ecr('delete-repository', '--repository-name', 'doomed', '--force');
  assert.equal(forced.code, 0, forced.stderr);
});

test('Lambda: a function from an image tag resolves to its digest; GetFunction answers ImageUri, ResolvedImageUri and RepositoryType ECR', { skip }, async () => {
  const digest = (await ecr('describe-images', '--repository-name', REPO)).json().imageDetails[0].imageDigest as string;
  const c = lambda();
  const made = await c.send(new CreateFunctionCommand({ FunctionName: 'img-fn', PackageType: 'Image', Code: { ImageUri: `${host()}/${REPO}:v1` }, Role: ROLE, Environment: { Variables: { OWN: 'mine' } } }));
  assert.equal(made.PackageType, 'Image');
  assert.equal(made.CodeSha256, digest.slice('sha256:'.length));
  assert.equal(made.Runtime, undefined);
  assert.equal(made.Handler, undefined);
  const got = await c.send(new GetFunctionCommand({ FunctionName: 'img-fn' }));
  assert.deepEqual(got.Code, { RepositoryType: 'ECR', ImageUri: `${host()}/${REPO}:v1`, ResolvedImageUri: `${host()}/${REPO}@${digest}` });
});

test('Lambda: an image function runs the image ENTRYPOINT and CMD with its Env and WorkingDir, a read-only root, whiteouts applied', { skip }, async () => {
  const r = await lambda().send(new InvokeCommand({ FunctionName: 'img-fn', Payload: Buffer.from(JSON.stringify({ n: 1 })) }));
  assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
  const p = payload(r.Payload);
  assert.equal(p['which'], 'app');
  assert.deepEqual(p['event'], { n: 1 });
  assert.equal(p['cwd'], '/var/task');
  assert.deepEqual(p['argv'], ['app.handler']);
  assert.equal(p['greeting'], 'from-image');
  assert.equal(p['own'], 'mine');
  assert.equal(p['fn'], 'img-fn');
  assert.equal(p['handler'], 'app.handler');
  assert.equal(p['rootWritable'], false);
  assert.equal(p['gone'], true);
  // Warm: the same environment answers again.
  const again = await lambda().send(new InvokeCommand({ FunctionName: 'img-fn', Payload: Buffer.from('{"n":2}') }));
  assert.deepEqual(payload(again.Payload)['event'], { n: 2 });
});

test('Lambda: ImageConfig Command and WorkingDirectory override the image, reported as ImageConfigResponse; a digest URI works too', { skip }, async () => {
  const digest = (await ecr('describe-images', '--repository-name', REPO)).json().imageDetails[0].imageDigest as string;
  const c = lambda();
  const made = await c.send(new CreateFunctionCommand({
    FunctionName: 'img-other', PackageType: 'Image', Code: { ImageUri: `000000000000.dkr.ecr.us-east-1.amazonaws.com/${REPO}@${digest}` }, Role: ROLE,
    ImageConfig: { Command: ['other.handler'], WorkingDirectory: '/var/task' },
  }));
  assert.deepEqual(made.ImageConfigResponse, { ImageConfig: { Command: ['other.handler'], WorkingDirectory: '/var/task' } });
  const r = await c.send(new InvokeCommand({ FunctionName: 'img-other', Payload: Buffer.from('{}') }));
  assert.equal(payload(r.Payload)['which'], 'other');
  const upd = await c.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'img-other', ImageConfig: { EntryPoint: ['/usr/bin/node', '/var/runtime/loop.mjs'], Command: ['app.handler'] } }));
  assert.deepEqual(upd.ImageConfigResponse?.ImageConfig?.Command, ['app.handler']);
  const r2 = await c.send(new InvokeCommand({ FunctionName: 'img-other', Payload: Buffer.from('{}') }));
  assert.equal(payload(r2.Payload)['which'], 'app');
});

test('Lambda: image functions refuse a Handler or Runtime, a missing image and a URI without tag or digest, in AWS words', { skip }, async () => {
  const c = lambda();
  const fail = async (input: ConstructorParameters<typeof CreateFunctionCommand>[0]): Promise<{ name: string; message: string }> => {
    try {
      await c.send(new CreateFunctionCommand(input));
    } catch (e) {
      return e as { name: string; message: string };
    }
    throw new Error('expected a failure');
  };
  const h = await fail({ FunctionName: 'bad1', PackageType: 'Image', Handler: 'app.handler', Code: { ImageUri: `${host()}/${REPO}:v1` }, Role: ROLE });
  assert.equal(h.name, 'InvalidParameterValueException');
  assert.equal(h.message, "Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image.");
  const missing = await fail({ FunctionName: 'bad2', PackageType: 'Image', Code: { ImageUri: `${host()}/${REPO}:nope` }, Role: ROLE });
  assert.equal(missing.message, `Source image ${host()}/${REPO}:nope does not exist. Provide a valid source image.`);
  const invalid = await fail({ FunctionName: 'bad3', PackageType: 'Image', Code: { ImageUri: 'just-a-name' }, Role: ROLE });
  assert.equal(invalid.message, 'Source image just-a-name is not valid. Provide a valid source image.');
});

test('Registry: in enforce mode a push needs Basic AWS:<GetAuthorizationToken password>; anonymous requests get 401', { skip }, async () => {
  const e = await startServer({ args: ['--auth', 'enforce', '--isolation', 'sandbox'] });
  try {
    const cli = (...args: string[]) => awsCli(1, e.url, ['ecr', ...args]);
    assert.equal((await cli('create-repository', '--repository-name', 'locked')).code, 0);
    const anon = await fetch(`${e.url}/v2/`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic /);
    const auth = (await cli('get-authorization-token')).json().authorizationData[0];
    assert.equal(auth.proxyEndpoint, e.url);
    const [user, password] = Buffer.from(auth.authorizationToken, 'base64').toString('utf8').split(':');
    assert.equal(user, 'AWS');
    const bad = await run('skopeo', ['copy', '--insecure-policy', '--dest-tls-verify=false', '--dest-creds', 'AWS:wrong', `oci:${image!.dir}:${image!.tag}`, `docker://${e.url.replace('http://', '')}/locked:v1`]);
    assert.notEqual(bad.code, 0);
    const ok = await run('skopeo', ['copy', '--insecure-policy', '--dest-tls-verify=false', '--dest-creds', `AWS:${password}`, `oci:${image!.dir}:${image!.tag}`, `docker://${e.url.replace('http://', '')}/locked:v1`]);
    assert.equal(ok.code, 0, ok.err);
  } finally {
    await e.stop();
    await removeServer(e);
  }
});

test('Lambda: with --isolation process an image function is refused at create with a clear message', { skip }, async () => {
  const p = await startServer({ args: ['--isolation', 'process'] });
  try {
    const c = new LambdaClient({ endpoint: p.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const err = await c.send(new CreateFunctionCommand({ FunctionName: 'x', PackageType: 'Image', Code: { ImageUri: `${p.url.replace('http://', '')}/r:v1` }, Role: ROLE })).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.equal(err?.name, 'InvalidParameterValueException');
    assert.match(err?.message ?? '', /only in the sandbox/);
  } finally {
    await p.stop();
    await removeServer(p);
  }
});
