// Compatibility: Terraform's hashicorp/aws provider applies aws_signer_signing_profile, aws_lambda_code_signing_config
// and a function using it, re-plans without drift, updates the policy and tags in place, and destroys them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { GetCodeSigningConfigCommand, GetFunctionCodeSigningConfigCommand, GetFunctionCommand, ListCodeSigningConfigsCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { removeDir, removeServer, ROOT, startServer, type Running } from '../helpers/server.js';
import { lambdaClient } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';
import { signedHeaders } from '../../src/lib/sign.js';

const PLUGINS = '/opt/tf-plugins';
const FIXTURE = join(ROOT, 'test', 'fixtures', 'terraform-code-signing', 'main.tf');
const onPath = (cmd: string): boolean => (process.env['PATH'] ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
const skip = !onPath('terraform') ? 'terraform is not installed' : !existsSync(PLUGINS) ? `no provider mirror at ${PLUGINS}` : false;

let server: Running;
let lambda: LambdaClient;
let work: string;

before(async () => {
  server = await startServer();
  lambda = lambdaClient(server.url);
  work = mkdtempSync(join(tmpdir(), 'selfless-tf-csc-'));
});
after(async () => {
  await server.stop();
  await removeServer(server);
  removeDir(work);
});

interface TfResult {
  code: number;
  out: string;
}

/** Runs terraform in the configuration dir with only the local provider mirror (nothing is downloaded). */
function terraform(args: string[], vars: Record<string, string> = {}): Promise<TfResult> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    TF_CLI_CONFIG_FILE: join(work, 'cli.tfrc'),
    TF_DATA_DIR: join(work, '.terraform'),
    TF_PLUGIN_CACHE_DIR: undefined,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
    TF_INPUT: '0',
    TF_VAR_endpoint: server.url,
  };
  for (const [k, v] of Object.entries(vars)) env[`TF_VAR_${k}`] = v;
  return new Promise((resolve) => {
    execFile('terraform', [...args, '-no-color'], { cwd: join(work, 'stack'), env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }),
    );
  });
}

function expectCode(r: TfResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what} exited ${r.code}:\n${r.out.slice(-6000)}\n--- server:\n${server.output().slice(-3000)}`);
}

/** A signed GET to Signer (the project has no Signer client): its JSON answer. */
async function signer(path: string): Promise<{ status: number; json: any }> {
  const url = `${server.url}${path}`;
  const headers = await signedHeaders({ method: 'GET', url, service: 'signer', region: 'us-east-1', headers: {}, key: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const res = await fetch(url, { headers });
  return { status: res.status, json: await res.json() };
}

test('Terraform: a signing profile, a code signing configuration and a function using it apply, plan clean, update in place and destroy', { skip, timeout: 10 * 60_000 }, async () => {
  const stack = join(work, 'stack');
  writeFileSync(join(work, 'cli.tfrc'), `provider_installation {\n  filesystem_mirror {\n    path = "${PLUGINS}"\n  }\n}\n`);
  mkdirSync(stack);
  copyFileSync(FIXTURE, join(stack, 'main.tf'));
  writeFileSync(join(stack, 'fn.zip'), await zip({ 'index.js': 'exports.handler = async () => "unsigned, allowed under Warn";' }));

  expectCode(await terraform(['init', '-input=false']), 0, 'terraform init');
  expectCode(await terraform(['apply', '-auto-approve', '-input=false']), 0, 'terraform apply');
  const profile = await signer('/signing-profiles/tf_release');
  assert.equal(profile.json.status, 'Active');
  assert.deepEqual(profile.json.signatureValidityPeriod, { value: 5, type: 'YEARS' });
  const arn = (await lambda.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: 'tf-signed' }))).CodeSigningConfigArn!;
  const csc = (await lambda.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: arn }))).CodeSigningConfig!;
  assert.deepEqual(csc.AllowedPublishers?.SigningProfileVersionArns, [profile.json.profileVersionArn]);
  assert.equal(csc.CodeSigningPolicies?.UntrustedArtifactOnDeployment, 'Warn');
  assert.equal(csc.Description, 'release builds only');

  expectCode(await terraform(['plan', '-detailed-exitcode', '-input=false']), 0, 'terraform plan after apply');

  const changed = { policy: 'Enforce', team: 'two' };
  const update = await terraform(['apply', '-auto-approve', '-input=false'], changed);
  expectCode(update, 0, 'terraform apply (update)');
  assert.match(update.out, /0 added, 2 changed, 0 destroyed/);
  assert.equal((await lambda.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: arn }))).CodeSigningConfig?.CodeSigningPolicies?.UntrustedArtifactOnDeployment, 'Enforce');
  const tags = await signer(`/tags/${encodeURIComponent(profile.json.arn)}`);
  assert.deepEqual(tags.json.tags, { team: 'two' });
  expectCode(await terraform(['plan', '-detailed-exitcode', '-input=false'], changed), 0, 'terraform plan after the update');

  expectCode(await terraform(['destroy', '-auto-approve', '-input=false'], changed), 0, 'terraform destroy');
  assert.equal(await lambda.send(new GetFunctionCommand({ FunctionName: 'tf-signed' })).then(() => 'exists', (e: { name: string }) => e.name), 'ResourceNotFoundException');
  assert.deepEqual((await lambda.send(new ListCodeSigningConfigsCommand({}))).CodeSigningConfigs, []);
  assert.equal((await signer('/signing-profiles/tf_release')).json.status, 'Canceled');
});
