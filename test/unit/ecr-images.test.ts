// The registry's pure parts: image URIs, manifests and image configurations, layer whiteouts, registry passwords.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseImageUri } from '../../src/services/ecr/index.js';
import { parseImageConfig, parseManifest } from '../../src/services/ecr/manifest.js';
import { RegistryError } from '../../src/services/ecr/errors.js';
import { whiteouts } from '../../src/services/ecr/rootfs.js';
import { RegistryTokens } from '../../src/services/ecr/token.js';
import { imageCommand, imageEnv } from '../../src/engine/launch.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;

test('ECR: image URIs name a registry, a repository path and a tag or digest (AWS-style hosts too)', () => {
  assert.deepEqual(parseImageUri('127.0.0.1:9000/a/b:v1'), { registry: '127.0.0.1:9000', repository: 'a/b', tag: 'v1' });
  assert.deepEqual(parseImageUri(`000000000000.dkr.ecr.eu-west-1.amazonaws.com/app@${D('a')}`), { registry: '000000000000.dkr.ecr.eu-west-1.amazonaws.com', repository: 'app', digest: D('a') });
  assert.deepEqual(parseImageUri(`h:1/app:v2@${D('b')}`), { registry: 'h:1', repository: 'app', tag: 'v2', digest: D('b') });
  assert.equal(parseImageUri('h:1/app'), undefined);
  assert.equal(parseImageUri('app:v1'), undefined);
});

test('ECR: manifests list the blobs they need; an index its children; anything else is MANIFEST_INVALID', () => {
  const m = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'c', digest: D('1'), size: 3 }, layers: [{ digest: D('2'), size: 5 }] })));
  assert.deepEqual(m.blobs, [D('1'), D('2')]);
  assert.equal(m.size, 8);
  assert.equal(m.artifactType, 'c');
  const i = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ digest: D('3'), size: 1, platform: { os: 'linux', architecture: 'amd64' } }] })));
  assert.equal(i.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(i.children, [D('3')]);
  for (const bad of ['nope', '{"schemaVersion":1,"layers":[]}', JSON.stringify({ schemaVersion: 2, config: { digest: 'x', size: 1 }, layers: [] })]) {
    assert.throws(() => parseManifest(Buffer.from(bad)), (e: unknown) => e instanceof RegistryError && e.code === 'MANIFEST_INVALID');
  }
});

test('ECR: an image configuration gives the entrypoint, command, environment and working directory', () => {
  const c = parseImageConfig(Buffer.from(JSON.stringify({ architecture: 'amd64', config: { Entrypoint: ['/e'], Cmd: ['h.x'], Env: ['A=1', 'B=x=y', 'bad'], WorkingDir: '/w' } })));
  assert.deepEqual(c, { entrypoint: ['/e'], cmd: ['h.x'], env: { A: '1', B: 'x=y' }, workdir: '/w', architecture: 'amd64' });
  assert.deepEqual(parseImageConfig(Buffer.from('{}')), { entrypoint: [], cmd: [], env: {} });
});

test('ECR: a layer listing gives its whiteouts and opaque directories', () => {
  const w = whiteouts(['./', './var/', './var/task/.wh.gone.txt', 'etc/.wh..wh..opq', '.wh.top', './usr/bin/node'].join('\n'));
  assert.deepEqual(w, { remove: ['var/task/gone.txt', 'top'], opaque: ['etc'] });
});

test('ECR: registry passwords are checked by signature, account and expiry', () => {
  const t = new RegistryTokens('secret', '000000000000');
  const p = t.issue(2_000);
  assert.equal(t.verify(p, 1_000), true);
  assert.equal(t.verify(p, 3_000), false);
  assert.equal(new RegistryTokens('other', '000000000000').verify(p, 1_000), false);
  assert.equal(new RegistryTokens('secret', '111111111111').verify(p, 1_000), false);
  assert.equal(t.verifyBasic(`Basic ${Buffer.from(`AWS:${p}`).toString('base64')}`, 1_000), true);
  assert.equal(t.verifyBasic(`Basic ${Buffer.from(`bob:${p}`).toString('base64')}`, 1_000), false);
  assert.equal(t.verify(`${p}x`, 1_000), false);
});

test('Engine: an image function runs ENTRYPOINT then CMD; its environment is the image ENV under the Lambda variables', () => {
  const image = { rootfs: '/r', entrypoint: ['/bin/run', '-x'], cmd: ['app.handler'], workdir: '/w', env: { PATH: '/img/bin', GREETING: 'hi', AWS_REGION: 'nope' } };
  assert.deepEqual(imageCommand(image), { command: '/bin/run', args: ['-x', 'app.handler'], runtimeDir: '' });
  assert.equal(imageCommand({ ...image, entrypoint: [], cmd: [] }), undefined);
  const env = imageEnv(image, { PATH: '/host/bin', AWS_REGION: 'us-east-1', NODE_PATH: '/host', OWN: 'x' }, { OWN: 'x' });
  assert.equal(env['PATH'], '/img/bin');
  assert.equal(env['GREETING'], 'hi');
  assert.equal(env['AWS_REGION'], 'us-east-1');
  assert.equal(env['NODE_PATH'], undefined);
  assert.equal(env['_HANDLER'], 'app.handler');
  assert.equal(env['OWN'], 'x');
});
