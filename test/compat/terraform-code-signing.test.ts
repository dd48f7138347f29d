// Compatibility: Terraform's hashicorp/aws provider applies aws_signer_signing_profile, aws_lambda_code_signing_config
// and a function using it, re-plans without drift, updates the policy and tags in place, and destroys them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCodeSigningConfigCommand, GetFunctionCodeSigningConfigCommand, GetFunctionCommand, ListCodeSigningConfigsCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { removeDir, removeServer, ROOT, startServer, type Running } from '../helpers/server.js';
import { terraform, terraformSkip, terraformStack, type Terraform } from '../helpers/terraform.js';
import { lambdaClient } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';
import { signedHeaders } from '../../src/lib/sign.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'terraform-code-signing', 'main.tf');
const skip = terraformSkip;

let server: Running;
let lambda: LambdaClient;
let work: string;
let tf: Terraform;

before(async () => {
  server = await startServer();
  lambda = lambdaClient(server.url);
  work = mkdtempSync(join(tmpdir(), 'selfless-tf-csc-'));
  tf = terraform(work, server);
});
after(async () => {
  await server.stop();
  await removeServer(server);
  removeDir(work);
});

/** A signed GET to Signer (the project has no Signer client): its JSON answer. */
async function signer(path: string): Promise<{ status: number; json: any }> {
  const url = `${server.url}${path}`;
  const headers = await signedHeaders({ method: 'GET', url, service: 'signer', region: 'us-east-1', headers: {}, key: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const res = await fetch(url, { headers });
  return { status: res.status, json: await res.json() };
}

test('Terraform: a signing profile, a code signing configuration and a function using it apply, plan clean, update in place and destroy', { skip, timeout: 10 * 60_000 }, async () => {
  const stack = terraformStack(work, FIXTURE);
  writeFileSync(join(stack, 'fn.zip'), await zip({ 'index.js': 'exports.handler = async () => "unsigned, allowed under Warn";' }));

  tf.expectCode(await tf.run(['init', '-input=false']), 0, 'terraform init');
  tf.expectCode(await tf.run(['apply', '-auto-approve', '-input=false']), 0, 'terraform apply');
  const profile = await signer('/signing-profiles/tf_release');
  assert.equal(profile.json.status, 'Active');
  assert.deepEqual(profile.json.signatureValidityPeriod, { value: 5, type: 'YEARS' });
  const arn = (await lambda.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: 'tf-signed' }))).CodeSigningConfigArn!;
  const csc = (await lambda.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: arn }))).CodeSigningConfig!;
  assert.deepEqual(csc.AllowedPublishers?.SigningProfileVersionArns, [profile.json.profileVersionArn]);
  assert.equal(csc.CodeSigningPolicies?.UntrustedArtifactOnDeployment, 'Warn');
  assert.equal(csc.Description, 'release builds only');

  tf.expectCode(await tf.run(['plan', '-detailed-exitcode', '-input=false']), 0, 'terraform plan after apply');

  const changed = { policy: 'Enforce', team: 'two' };
  const update = await tf.run(['apply', '-auto-approve', '-input=false'], changed);
  tf.expectCode(update, 0, 'terraform apply (update)');
  assert.match(update.out, /0 added, 2 changed, 0 destroyed/);
  assert.equal((await lambda.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: arn }))).CodeSigningConfig?.CodeSigningPolicies?.UntrustedArtifactOnDeployment, 'Enforce');
  const tags = await signer(`/tags/${encodeURIComponent(profile.json.arn)}`);
  assert.deepEqual(tags.json.tags, { team: 'two' });
  tf.expectCode(await tf.run(['plan', '-detailed-exitcode', '-input=false'], changed), 0, 'terraform plan after the update');

  tf.expectCode(await tf.run(['destroy', '-auto-approve', '-input=false'], changed), 0, 'terraform destroy');
  assert.equal(await lambda.send(new GetFunctionCommand({ FunctionName: 'tf-signed' })).then(() => 'exists', (e: { name: string }) => e.name), 'ResourceNotFoundException');
  assert.deepEqual((await lambda.send(new ListCodeSigningConfigsCommand({}))).CodeSigningConfigs, []);
  assert.equal((await signer('/signing-profiles/tf_release')).json.status, 'Canceled');
});
